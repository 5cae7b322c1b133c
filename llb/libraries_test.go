package llb

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goimage/goimage/internal/testenv"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
)

// libStep is the name of the step that compiles the libraries of main for linux/arm64.
func libStep(main string) string { return "compile the packages " + main + " imports linux/arm64" }

// TestCompileLibraries checks the step that compiles a binary's libraries (the main module's
// packages its main package imports): it reads their directories and the module files alone,
// so that an edit of the main package leaves it cached; it compiles them with go build's own
// flags into a layer, reading the dependency layers and the shared cache; and go build reads
// that layer.
func TestCompileLibraries(t *testing.T) {
	_, g := convert(t, binariesFile, binariesOpts())
	tests := []struct {
		main      string
		wantReads []string
		wantLibs  []string
	}{
		{"./cmd/a", []string{"svc/go.mod", "svc/go.sum", "svc/internal/core", "svc/internal/x", "svc/internal/y"},
			[]string{"example.com/svc/internal/core", "example.com/svc/internal/x", "example.com/svc/internal/y"}},
		{"./cmd/b", []string{"svc/internal/y", "written /svc/go.mod", "written /svc/go.sum"},
			[]string{"example.com/svc/internal/y"}},
		// The root package's directory holds the others, but the libraries' copy is of
		// theirs alone.
		{".", []string{"svc/internal/x", "svc/internal/y", "written /svc/go.mod", "written /svc/go.sum"},
			[]string{"example.com/svc/internal/x", "example.com/svc/internal/y"}},
	}
	for _, tt := range tests {
		t.Run(tt.main, func(t *testing.T) {
			lib := g.named(libStep(tt.main))
			if diff := cmp.Diff(stepReads(t, g, libStep(tt.main)), tt.wantReads); diff != "" {
				t.Errorf("the libraries' step reads (-got +want):\n%s", diff)
			}
			want := append([]string{helperBin, "workspace", "--", "go", "build", "-trimpath", "-buildvcs=false"}, tt.wantLibs...)
			if diff := cmp.Diff(lib.exec().Meta.Args, want); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
			if got, want := lib.env()["GOCACHEPROG"], cacheProg("-ro", depCacheDir, "-ro", stdCacheDir, "-out", libCacheDir, "-stats"); got != want {
				t.Errorf("GOCACHEPROG %q, want %q", got, want)
			}
			if lib.exec().Network != pb.NetMode_NONE {
				t.Errorf("network %v, want none", lib.exec().Network)
			}
			build := g.named("go build " + tt.main + " linux/arm64")
			for _, dir := range []string{depCacheDir, stdCacheDir} {
				if a, b := lib.mount(dir), build.mount(dir); a.Input < 0 || !a.Readonly {
					t.Errorf("the libraries' step mounts %s from %d, read-only %v", dir, a.Input, a.Readonly)
				} else if from, _ := lib.mountSource(dir); from == nil || from.dgst != mustSource(t, build, dir).dgst || !b.Readonly {
					t.Errorf("the libraries' step reads another %s than go build", dir)
				}
			}
			if from, out := build.mountSource(libCacheDir); from == nil || from.dgst != lib.dgst || out != lib.mount(libCacheDir).Output || !build.mount(libCacheDir).Readonly {
				t.Errorf("go build reads %v at %s, want the libraries' layer, read-only", from, libCacheDir)
			}
			if got, want := build.env()["GOCACHEPROG"], cacheProg("-ro", depCacheDir, "-ro", stdCacheDir, "-ro", libCacheDir, "-stats"); got != want {
				t.Errorf("go build's GOCACHEPROG %q, want %q", got, want)
			}
		})
	}
}

// mustSource is the op mounted at dest by n, failing the test for scratch.
func mustSource(t *testing.T, n *node, dest string) *node {
	t.Helper()
	src, _ := n.mountSource(dest)
	if src == nil {
		t.Fatalf("%s mounts scratch at %s", n, dest)
	}
	return src
}

// TestCompileLibrariesFlags checks that the libraries compile with go build's compile flags,
// and that an entry of gcflags without a package pattern, which applies to the packages on
// the command line alone, leaves go build to compile them.
func TestCompileLibrariesFlags(t *testing.T) {
	tests := []struct {
		desc, binary string
		want         []string // the flags between -buildvcs=false and the packages; nil: no step
	}{
		{"tags and a patterned gcflags", "    tags: [netgo]\n    gcflags: [\"all=-N -l\"]\n", []string{"-tags", "netgo", "-gcflags", "all=-N -l"}},
		{"a gcflags for the command line's packages", "    gcflags: [\"-N -l\"]\n", nil},
		{"an asmflags for them in goflags", "goflags: -asmflags=-trimpath=/x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, g := convert(t, "version: 1\ndir: svc\nbinaries:\n  - main: ./cmd/b\n"+tt.binary, binariesOpts())
			steps := g.namedPrefix("compile the packages ")
			if tt.want == nil {
				if len(steps) != 0 {
					t.Fatalf("steps %v, want none", steps)
				}
				if slices.Contains(g.named("go build ./cmd/b linux/arm64").mountDests(), libCacheDir) {
					t.Errorf("go build mounts %s without a libraries' step", libCacheDir)
				}
				return
			}
			if len(steps) != 1 {
				t.Fatalf("steps %v, want one", steps)
			}
			args := steps[0].exec().Meta.Args
			i := slices.Index(args, "-buildvcs=false")
			if diff := cmp.Diff(args[i+1:len(args)-1], tt.want); diff != "" {
				t.Errorf("flags (-got +want):\n%s", diff)
			}
		})
	}
}

// TestCompileLibrariesNone checks the binaries that get no libraries' step: one that imports
// none of the main module's packages, and those with a library whose directory holds the
// main package's (the root package, or a parent directory), whose copy would hold the main
// package and change with every edit of it.
func TestCompileLibrariesNone(t *testing.T) {
	tests := []struct {
		desc, main, pkg, pkgDesc string
	}{
		{"no library", "./cmd/b", "example.com/svc/cmd/b", ":"},
		{"the root package as a library", "./cmd/b", "example.com/svc/cmd/b", ": example.com/svc"},
		{"the parent directory's package as a library", "./cmd/b/sub", "example.com/svc/cmd/b/sub", ": example.com/svc/cmd/b"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, g := convert(t, "version: 1\ndir: svc\nbinaries:\n  - main: "+tt.main+"\n", withPackage(tt.pkg, tt.pkgDesc)())
			if steps := g.namedPrefix("compile the packages "); len(steps) != 0 {
				t.Errorf("steps %v, want none", steps)
			}
			build := g.named("go build " + tt.main + " linux/arm64")
			if slices.Contains(build.mountDests(), libCacheDir) || strings.Contains(build.env()["GOCACHEPROG"], libCacheDir) {
				t.Errorf("go build reads %s without a libraries' step", libCacheDir)
			}
		})
	}
}

func TestLibraryFlagsAgree(t *testing.T) {
	tests := []struct {
		desc           string
		gcflags, flags []string
		goflags        string
		want           bool
	}{
		{"none", nil, nil, "", true},
		{"patterned gcflags", []string{"all=-N -l", "example.com/m/...=-B"}, nil, "", true},
		{"a gcflags for the command line", []string{"-N -l"}, nil, "", false},
		{"an empty gcflags", []string{""}, nil, "", false},
		{"tags and race", nil, []string{"-race", "-tags=x"}, "-p=2", true},
		{"-gcflags=all=... in flags", nil, []string{"-gcflags=all=-N"}, "", true},
		{"-gcflags -N in flags, two words", nil, []string{"-gcflags", "-N"}, "", false},
		{"-asmflags in goflags", nil, nil, "-asmflags=-trimpath=/x", false},
		{"a patterned asmflags", nil, []string{"-asmflags=all=-trimpath=/x"}, "", true},
		{"-buildmode", nil, []string{"-buildmode=exe"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := libraryFlagsAgree(tt.gcflags, tt.flags, tt.goflags); got != tt.want {
				t.Errorf("libraryFlagsAgree(%q, %q, %q) = %v, want %v", tt.gcflags, tt.flags, tt.goflags, got, tt.want)
			}
		})
	}
}

// TestLibrariesActionIDs runs the libraries' step and go build as the graph has them, with
// the real go command and one build cache: go build then compiles the main package alone,
// so the layer holds the actions go build looks up. The step runs in a copy that has the
// libraries' directories and the module files alone, at the path go build later reads.
func TestLibrariesActionIDs(t *testing.T) {
	testenv.SkipIfShort(t, "runs the go command")
	files := map[string]string{
		"go.mod":          "module example.com/svc\n\ngo 1.24\n",
		"internal/x/x.go": "package x\n\nimport \"example.com/svc/internal/y\"\n\nfunc X() string { return y.Y() + \"x\" }\n",
		"internal/y/y.go": "package y\n\nimport \"strings\"\n\nfunc Y() string { return strings.ToUpper(\"y\") }\n",
		"cmd/app/main.go": "package main\n\nimport \"example.com/svc/internal/x\"\n\nfunc main() { println(x.X()) }\n",
	}
	const file = "version: 1\ndir: svc\nbinaries:\n  - main: ./cmd/app\n    tags: [netgo]\n    gcflags: [\"all=-B\"]\n"
	sources := map[string]string{}
	for name, src := range files {
		if strings.HasSuffix(name, ".go") {
			sources["svc/"+name] = src
		}
	}
	opt := headersOpts(files["go.mod"], sources)
	opt.Reader = &graphReader{graph: testGraph(nil, map[string]string{
		"example.com/svc/cmd/app":    ": example.com/svc/internal/x",
		"example.com/svc/internal/x": ": example.com/svc/internal/y",
		"example.com/svc/internal/y": ":",
	})}
	_, g := convert(t, file, opt)
	goArgs := func(name string) []string {
		args := g.named(name).exec().Meta.Args
		return args[slices.Index(args, "--")+2:] // after "go"
	}
	libArgs := goArgs("compile the packages ./cmd/app imports linux/arm64")
	buildArgs := goArgs("go build ./cmd/app linux/arm64")
	if i := slices.Index(buildArgs, "-o"); i >= 0 {
		buildArgs[i+1] = os.DevNull
	}
	for _, tc := range []struct {
		desc string
		lib  []string
		want bool // go build compiles nothing of the libraries
	}{
		{"the step's command line", libArgs, true},
		// The same without the build's flags: the check above can fail.
		{"without the flags", append([]string{"build", "-trimpath", "-buildvcs=false"}, libArgs[len(libArgs)-2:]...), false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "src")
			testenv.WriteFiles(t, dir, map[string]string{"go.mod": files["go.mod"], "internal/x/x.go": files["internal/x/x.go"], "internal/y/y.go": files["internal/y/y.go"]})
			env := []string{"GOCACHE=" + t.TempDir(), "GOFLAGS=", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off"}
			goCommand(t, dir, env, tc.lib...)
			testenv.WriteFiles(t, dir, map[string]string{"cmd/app/main.go": files["cmd/app/main.go"]})
			out := goCommand(t, dir, env, append([]string{buildArgs[0], "-v"}, buildArgs[1:]...)...)
			compiled := strings.Contains(out, "example.com/svc/internal/")
			if compiled == tc.want {
				t.Errorf("go build compiled a library = %v, want %v; go build -v:\n%s", compiled, !tc.want, out)
			}
			if !strings.Contains(out, "example.com/svc/cmd/app") {
				t.Errorf("go build did not compile the main package; go build -v:\n%s", out)
			}
		})
	}
}
