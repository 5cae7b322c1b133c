package spec

import (
	"reflect"
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDefaultName(t *testing.T) {
	for _, tc := range []struct {
		desc string
		main string
		want string
	}{
		{desc: "last element", main: "./cmd/app", want: "app"},
		{desc: "module root has no name of its own", main: ".", want: "app"},
		{desc: "module root spelt with a slash", main: "./", want: "app"},
		{desc: "trailing slash", main: "./cmd/server/", want: "server"},
		{desc: "without ./", main: "cmd/tool", want: "tool"},
		{desc: "cleaned before taking the last element", main: "./cmd/x/../y/.", want: "y"},
		{desc: "dots inside a name stay", main: "./cmd/app.v2", want: "app.v2"},
		{desc: "root directory", main: "/", want: "app"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := defaultName(tc.main); got != tc.want {
				t.Errorf("defaultName(%q) = %q, want %q", tc.main, got, tc.want)
			}
		})
	}
}

// ignorePositions compares Specs by content; positions have their own tests.
var ignorePositions = cmpopts.IgnoreUnexported(Spec{})

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want Spec
	}{{
		desc: "main only",
		in:   "version: 1\nmain: ./cmd/app\n",
		want: Spec{
			Version: 1, Go: "1.26", Dir: ".", Main: "./cmd/app",
			Binaries: []Binary{{Name: "app", Main: "./cmd/app"}},
			Base:     "distroless",
			Image:    Image{Entrypoint: []string{"/app"}, User: "nonroot"},
		},
	}, {
		desc: "module root main",
		in:   "version: 1\nmain: .\n",
		want: Spec{
			Version: 1, Go: "1.26", Dir: ".", Main: ".",
			Binaries: []Binary{{Name: "app", Main: "."}},
			Base:     "distroless",
			Image:    Image{Entrypoint: []string{"/app"}, User: "nonroot"},
		},
	}, {
		desc: "what the file says wins over every default",
		in: "version: 1\ngo: \"1.25\"\ndir: svc\nbase: scratch\nmain: ./cmd/app\n" +
			"image: {user: \"0\", entrypoint: [/app, --flag]}\n",
		want: Spec{
			Version: 1, Go: "1.25", Dir: "svc", Main: "./cmd/app",
			Binaries: []Binary{{Name: "app", Main: "./cmd/app"}},
			Base:     "scratch",
			Image:    Image{Entrypoint: []string{"/app", "--flag"}, User: "0"},
		},
	}, {
		desc: "entrypoint is the first binary, named or not",
		in:   "version: 1\nbinaries:\n- main: ./cmd/b\n- {name: a, main: ./cmd/a}\n",
		want: Spec{
			Version: 1, Go: "1.26", Dir: ".",
			Binaries: []Binary{{Name: "b", Main: "./cmd/b"}, {Name: "a", Main: "./cmd/a"}},
			Base:     "distroless",
			Image:    Image{Entrypoint: []string{"/b"}, User: "nonroot"},
		},
	}, {
		// An explicit empty entrypoint is a request (run cmd as is), not a silence.
		desc: "empty entrypoint is kept",
		in:   "version: 1\nmain: ./cmd/app\nimage: {entrypoint: [], cmd: [/app]}\n",
		want: Spec{
			Version: 1, Go: "1.26", Dir: ".", Main: "./cmd/app",
			Binaries: []Binary{{Name: "app", Main: "./cmd/app"}},
			Base:     "distroless",
			Image:    Image{Entrypoint: []string{}, Cmd: []string{"/app"}, User: "nonroot"},
		},
	}, {
		desc: "null values take the default",
		in:   "version: 1\ngo: ~\ndir: null\nmain: ./cmd/app\nbase:\nimage: {user: }\n",
		want: Spec{
			Version: 1, Go: "1.26", Dir: ".", Main: "./cmd/app",
			Binaries: []Binary{{Name: "app", Main: "./cmd/app"}},
			Base:     "distroless",
			Image:    Image{Entrypoint: []string{"/app"}, User: "nonroot"},
		},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(*s, tc.want, ignorePositions); diff != "" {
				t.Errorf("Parse (-got +want):\n%s", diff)
			}
		})
	}
}

func TestBuilderImage(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want string
	}{
		{desc: "default go", in: "version: 1\nmain: .\n", want: "golang:1.26"},
		{desc: "go picks the tag", in: "version: 1\ngo: 1.25.3\nmain: .\n", want: "golang:1.25.3"},
		{desc: "builder wins over go", in: "version: 1\ngo: \"1.24\"\nbuilder: example.com/go:x\nmain: .\n", want: "example.com/go:x"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := s.BuilderImage(); got != tc.want {
				t.Errorf("BuilderImage() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPosFallback: the llb converter reports build-time problems (a missing main package,
// say) at s.Pos(field) for fields the file may not spell out; they must still land on a
// line that exists and relates to the field.
func TestPosFallback(t *testing.T) {
	const in = "version: 1\n" + // 1
		"binaries:\n" + // 2
		"  - main: ./cmd/a\n" + // 3
		"  - name: b\n" + // 4
		"    main: ./cmd/b\n" + // 5
		"image:\n" + // 6
		"  env: {TZ: UTC}\n" // 7
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc string
		path string
		want Pos
	}{
		{desc: "spelled out", path: "binaries[1].main", want: Pos{5, 11}},
		{desc: "defaulted name falls back to its binary", path: "binaries[0].name", want: Pos{3, 5}},
		{desc: "unknown index falls back to the list", path: "binaries[7].name", want: Pos{3, 3}},
		{desc: "defaulted image field falls back to image", path: "image.user", want: Pos{7, 3}},
		{desc: "map entry", path: "image.env.TZ", want: Pos{7, 13}},
		{desc: "absent map entry falls back to the map", path: "image.env.HOME", want: Pos{7, 8}},
		{desc: "nothing spelled out on the way up", path: "platforms[0]", want: Pos{}},
		{desc: "the document itself", path: "", want: Pos{}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := s.Pos(tc.path); got != tc.want {
				t.Errorf("Pos(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

// TestPosMainShorthand: main expands to binaries[0]; errors the converter raises about
// binaries[0].main must point at the main line the user wrote.
func TestPosMainShorthand(t *testing.T) {
	s, err := Parse([]byte("version: 1\n\nmain:   ./cmd/app\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Pos{3, 9}
	for _, path := range []string{"main", "binaries[0].main"} {
		if got := s.Pos(path); got != want {
			t.Errorf("Pos(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestParentPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"binaries[0].tags[1]", "binaries[0].tags"},
		{"binaries[0].tags", "binaries[0]"},
		{"binaries[0]", "binaries"},
		{"image.env.TZ", "image.env"},
		{"version", ""},
		{"", ""},
	} {
		if got := parentPath(tc.in); got != tc.want {
			t.Errorf("parentPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestArgRefs(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want []string
	}{
		{desc: "one reference", in: "-X main.version=${VERSION}", want: []string{"VERSION"}},
		{desc: "in order, repeats kept", in: "${B}-${A}-${B}", want: []string{"B", "A", "B"}},
		{desc: "underscore and digits", in: "${_X1} ${GIT_COMMIT}", want: []string{"_X1", "GIT_COMMIT"}},
		{desc: "invalid names are skipped, valid ones kept", in: "${} ${1X} ${A B} ${OK}", want: []string{"OK"}},
		{desc: "no braces is no reference", in: "$VERSION", want: nil},
		{desc: "unterminated", in: "${VERSION", want: nil},
		{desc: "nothing", in: "", want: nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if diff := cmp.Diff(ArgRefs(tc.in), tc.want); diff != "" {
				t.Errorf("ArgRefs(%q) (-got +want):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		in      string
		want    platforms.Platform
		wantErr string
	}{
		{desc: "plain", in: "linux/amd64", want: platforms.Platform{OS: "linux", Architecture: "amd64"}},
		{desc: "arm64 v8 is the arm64 default and drops out", in: "linux/arm64/v8", want: platforms.Platform{OS: "linux", Architecture: "arm64"}},
		{desc: "arm v7 is kept", in: "linux/arm/v7", want: platforms.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{desc: "arm without variant means v7", in: "linux/arm", want: platforms.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{desc: "older arm variant is kept", in: "linux/arm/v6", want: platforms.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{desc: "uname spellings", in: "linux/aarch64", want: platforms.Platform{OS: "linux", Architecture: "arm64"}},
		{desc: "x86_64 is amd64", in: "linux/x86_64", want: platforms.Platform{OS: "linux", Architecture: "amd64"}},
		{desc: "case is folded", in: "Linux/AMD64", want: platforms.Platform{OS: "linux", Architecture: "amd64"}},
		{desc: "not linux", in: "windows/amd64", wantErr: `"windows/amd64": only linux images are supported`},
		{desc: "darwin", in: "darwin/arm64", wantErr: `"darwin/arm64": only linux images are supported`},
		{desc: "too many parts", in: "linux/arm/v7/x", wantErr: `want a platform such as linux/arm64, got "linux/arm/v7/x"`},
		{desc: "empty", in: "", wantErr: `want a platform such as linux/arm64, got ""`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := ParsePlatform(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParsePlatform(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePlatform(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(got, tc.want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParsePlatform(%q) (-got +want):\n%s", tc.in, diff)
			}
		})
	}
}

func TestSortedKeys(t *testing.T) {
	got := SortedKeys(map[string]string{"b": "", "C": "", "a": "", "_": ""})
	if diff := cmp.Diff(got, []string{"C", "_", "a", "b"}); diff != "" {
		t.Errorf("SortedKeys (-got +want):\n%s", diff)
	}
	if got := SortedKeys(nil); len(got) != 0 {
		t.Errorf("SortedKeys(nil) = %q, want none", got)
	}
}

// TestSuggestDeterministic: suggest ranges over a map, so a name equally close to two
// fields would flip between runs without the tie-break; the error text must not.
func TestSuggestDeterministic(t *testing.T) {
	fields := fieldsByTag(reflect.TypeOf(Spec{}))
	for _, tc := range []struct{ name, want string }{
		{"bianries", ` (did you mean "binaries"?)`},
		{"Platforms", ` (did you mean "platforms"?)`},
		{"ba", ` (did you mean "base"?)`}, // base and go are both 2 away
		{"og", ` (did you mean "cgo"?)`},  // cgo and go are both 2 away
		{"healthcheck", ""},
	} {
		for i := range 50 {
			if got := suggest(tc.name, fields); got != tc.want {
				t.Fatalf("suggest(%q) try %d = %q, want %q", tc.name, i, got, tc.want)
			}
		}
	}
}
