package dockerfile

import (
	"strings"
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

// TestWriteRefuses checks that Write refuses what a Dockerfile cannot carry safely, naming
// every field at once.
func TestWriteRefuses(t *testing.T) {
	const nl = "x\nRUN touch /tmp/pwned"
	tests := []struct {
		desc        string
		goimagefile string // parsed by spec.Parse first, so validation has passed
		modify      func(s *spec.Spec)
		want        []string // the field paths of the errors, in order
	}{
		{
			desc:        "a line break in WORKDIR, the reported injection, through spec validation",
			goimagefile: "version: 1\nmain: .\nimage: {workdir: \"/x\\nRUN touch /tmp/pwned\"}\n",
			want:        []string{"image.workdir"},
		},
		{
			desc:        "line breaks in labels and the runtime environment, through spec validation",
			goimagefile: "version: 1\nmain: .\nimage: {labels: {\"a\\nRUN x\": v, b: \"\\r\"}, env: {A: \"\\n\"}}\n",
			want:        []string{"image.env.A", `image.labels["a\nRUN x"]`, "image.labels.b"},
		},
		{
			desc: "line breaks in the build stage",
			modify: func(s *spec.Spec) {
				s.Dir = nl
				s.Env = map[string]string{"A": nl, "B\nRUN x": "v"}
				s.GoFlags = "-p=2\x01"
			},
			want: []string{"dir", "env.A", `env["B\nRUN x"]`, "goflags"},
		},
		{
			desc: "builder and base images that are not references",
			modify: func(s *spec.Spec) {
				s.Go = "1.26\nRUN touch /x"
				s.Base = "alpine $x"
			},
			want: []string{"go", "base"},
		},
		{
			desc:   "an explicit builder is named as such",
			modify: func(s *spec.Spec) { s.Builder = "golang:1.26 AS x" },
			want:   []string{"builder"},
		},
		{
			desc: "module settings and the netrc secret id, which goes into a mount option list",
			modify: func(s *spec.Spec) {
				s.GoProxy = "a\x00b"
				s.GoPrivate = "\xff"
				s.Private.Netrc = "corp,target=/etc/passwd"
			},
			want: []string{"private.netrc", "goprivate", "goproxy"},
		},
		{
			desc:   "a secret id holding '=' or a build arg",
			modify: func(s *spec.Spec) { s.Private.Netrc = "${X}=y" },
			want:   []string{"private.netrc"},
		},
		{
			desc: "generate steps",
			modify: func(s *spec.Spec) {
				s.Generate = []spec.Generate{{Install: []string{"-toolexec=sh", "x@v1\x00"}, Run: []string{"ok"}}, {Run: nil}}
			},
			want: []string{"generate[0].install[0]", "generate[0].install[1]", "generate[1].run"},
		},
		{
			desc: "binaries: name, tags, flags, main, ldflags, gcflags",
			modify: func(s *spec.Spec) {
				s.Binaries = []spec.Binary{{
					Name:    "../x",
					Main:    "./cmd/" + nl,
					Tags:    []string{"a,b", "c d", "'e'"},
					Ldflags: []string{"-X 'a", `-X a'b"c`},
					Gcflags: []string{"all=\x00"},
					Flags:   []string{"x", "-v\nRUN touch /x"},
				}}
			},
			want: []string{
				"binaries[0].ldflags[0]", "binaries[0].ldflags[1]", "binaries[0].tags[0]", "binaries[0].tags[1]", "binaries[0].tags[2]",
				"binaries[0].gcflags[0]", "binaries[0].flags[0]", "binaries[0].flags[1]", "binaries[0].name", "binaries[0].main",
			},
		},
		{
			desc: "build args a Dockerfile would read from the environment instead",
			modify: func(s *spec.Spec) {
				s.Env = map[string]string{"VERSION": "1", "TARGETOS": "x"}
				s.Binaries[0].Ldflags = []string{"-X a=${VERSION}", "-X b=${PATH}", "-X c=${CGO_ENABLED}"}
				s.Binaries[0].Gcflags = []string{"-d=${IFS}", "-d=${GOOS}"}
			},
			want: []string{
				"env.TARGETOS", "binaries[0].ldflags[0]", "binaries[0].ldflags[1]", "binaries[0].ldflags[2]",
				"binaries[0].gcflags[0]", "binaries[0].gcflags[1]",
			},
		},
		{
			desc: "a heredoc marker in a shell-form go build step",
			modify: func(s *spec.Spec) {
				s.Binaries[0].Main = "./a<<b"
				s.Binaries[0].Ldflags = []string{"-X a=${V}", "-X b=<<EOF"}
				s.Binaries[0].Gcflags = []string{"all=-N<<x"}
				s.Binaries[0].Flags = []string{"-x=<", "-y=<<'FROM gcr.io/distroless/static-debian12:nonroot'"}
			},
			want: []string{"binaries[0].ldflags[1]", "binaries[0].gcflags[0]", "binaries[0].flags[1]", "binaries[0].main"},
		},
		{
			desc: "a quoted line break in a flag list of a shell-form go build step (a separator is fine)",
			modify: func(s *spec.Spec) {
				s.Binaries[0].Ldflags = []string{"-X a=${V}\n-X b=c", "-X 'b=c\nRUN touch /x'"}
				s.Binaries[0].Gcflags = []string{"all='-d=a\nRUN touch /x'", "-d=${V}\n-l", "all=-N\nRUN touch /x"}
			},
			want: []string{"binaries[0].ldflags[1]", "binaries[0].gcflags[0]"},
		},
		{
			desc: "files",
			modify: func(s *spec.Spec) {
				s.Files = []spec.File{{Src: nl, Dst: "/a\tb"}}
			},
			want: []string{"files[0].src", "files[0].dst"},
		},
		{
			desc: "the image configuration",
			modify: func(s *spec.Spec) {
				s.Image = spec.Image{
					Entrypoint: []string{"/app", "\x00"},
					Cmd:        []string{"\xc3"},
					User:       nl,
					Workdir:    nl,
					Env:        map[string]string{"A B": "v", "C=D": "v"},
					Labels:     map[string]string{"": "v", "a=b": "v", "c": nl},
					Expose:     []string{"80;x", "80\nRUN x"},
					Volumes:    []string{nl},
					StopSignal: nl,
				}
			},
			want: []string{
				`image.env["A B"]`, `image.env["C=D"]`, `image.labels[""]`, `image.labels["a=b"]`, "image.labels.c",
				"image.expose[0]", "image.expose[1]", "image.volumes[0]", "image.stopsignal", "image.workdir",
				"image.user", "image.entrypoint[1]", "image.cmd[0]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			goimagefile := tt.goimagefile
			if goimagefile == "" {
				goimagefile = "version: 1\nmain: ./cmd/app\n"
			}
			s := parse(t, goimagefile)
			if tt.modify != nil {
				tt.modify(s)
			}
			out, err := writeSpec(s)
			if err == nil {
				t.Fatalf("Write took the spec:\n%s", out)
			}
			if out != "" {
				t.Errorf("Write returned a Dockerfile with its error:\n%s", out)
			}
			var got []string
			for _, line := range strings.Split(err.Error(), "\n") {
				path, _, _ := strings.Cut(line, ": ")
				got = append(got, path)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("error paths (-got +want):\n%s\nerror:\n%v", diff, err)
			}
		})
	}
}

// TestWriteErrorMessage checks one message whole: the field path, the value quoted so that
// its line break shows, and why.
func TestWriteErrorMessage(t *testing.T) {
	s := parse(t, "version: 1\nmain: .\nimage: {workdir: \"/x\\nRUN touch /tmp/pwned\"}\n")
	_, err := writeSpec(s)
	want := `image.workdir: "/x\nRUN touch /tmp/pwned" holds a line break or other control character, which a Dockerfile line cannot carry`
	if err == nil || err.Error() != want {
		t.Errorf("Write error = %v, want %s", err, want)
	}
}
