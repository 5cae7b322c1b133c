package dockerfile

import (
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

// Instructions every Dockerfile of these tests shares.
const modCache = "--mount=type=cache,target=/go/pkg/mod"

var (
	buildCaches = []string{modCache, "--mount=type=cache,target=/root/.cache/go-build"}
	targetEnv   = instr{Cmd: "ENV", Args: []string{"GOOS=<TARGETOS>", "GOARCH=<TARGETARCH>"}}
)

func in(cmd string, args ...string) instr { return instr{Cmd: cmd, Args: args} }

// goBuild is the argv of a go build step, goimage's flags then args.
func goBuild(args ...string) []string {
	return append([]string{"go", "build", "-trimpath", "-buildvcs=false"}, args...)
}

// head is the build stage of a module in the context root with no settings, up to its go build
// steps.
func head() []instr {
	return concat([]instr{fromBuild("golang:1.26"), in("WORKDIR", "/src"), in("ENV", "CGO_ENABLED=0", "GOTOOLCHAIN=local")},
		modules(), []instr{in("ARG", "TARGETOS", "TARGETARCH"), targetEnv})
}

func fromBuild(ref string) instr {
	return instr{Cmd: "FROM", Flags: []string{"--platform=$BUILDPLATFORM"}, Args: []string{ref, "AS", "build"}}
}

// modules are the steps of a module in the context root whose download needs no settings.
func modules() []instr {
	return []instr{
		in("COPY", "go.mod", "go.sum*", "go.work*", "/src/"),
		{Cmd: "RUN", Flags: []string{modCache}, Args: []string{"go", "mod", "download"}},
		in("COPY", ".", "/src/"),
	}
}

func binary(name string) instr {
	return instr{Cmd: "COPY", Flags: []string{"--from=build", "--chown=0:0", "--chmod=0755"}, Args: []string{"/out/" + name, "/" + name}}
}

func concat(parts ...[]instr) []instr {
	var all []instr
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// TestWriteHostile writes Goimagefiles that pass spec validation yet hold shell syntax,
// Dockerfile syntax and expansions in every field that takes free text, and checks that
// BuildKit reads back exactly the instructions meant, each value literal.
func TestWriteHostile(t *testing.T) {
	distroless := in("FROM", "gcr.io/distroless/static-debian12:nonroot")
	tests := []struct {
		desc, goimagefile string
		args              map[string]string // build args
		want              []instr
	}{
		{
			desc: "main and flags, the reported injections, stay one argument each",
			goimagefile: `version: 1
binaries:
  - name: app
    main: "./cmd/app;touch /tmp/pwned"
    flags: ["-v;touch${IFS}/x", "-race=$(id)'\"\\", "-x=<<EOF"]
    tags: [netgo]
    gcflags: ["all=-N -l;touch /x", "all=-N\nRUN touch /x"]
`,
			want: concat([]instr{fromBuild("golang:1.26"), in("WORKDIR", "/src"), in("ENV", "CGO_ENABLED=0", "GOTOOLCHAIN=local")},
				modules(), []instr{in("ARG", "TARGETOS", "TARGETARCH"), targetEnv,
					{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-tags=netgo",
						"-gcflags=all=-N -l;touch /x", "-gcflags=all=-N RUN touch /x", "-v;touch${IFS}/x", `-race=$(id)'"\`, "-x=<<EOF", "-o", "/out/app", "./cmd/app;touch /tmp/pwned")},
					distroless, binary("app"), in("USER", "65532:65532"), in("ENTRYPOINT", "/app")}),
		},
		{
			desc: "with build args the go build step is shell-form, and every other value still one word",
			goimagefile: `version: 1
binaries:
  - name: app
    main: "./cmd/app;touch /tmp/pwned"
    flags: ["-v;touch${IFS}/x", "-race=$(id)'\"\\", "-x=<EOF", "-y=<"]
    ldflags: ["-X main.v=${VERSION} -X 'main.q=$(id)'\\", "-X <${VERSION}<"]
    gcflags: ["all=-N;touch /x", "-d=${DEBUG}"]
    tags: [netgo]
`,
			args: map[string]string{"VERSION": "1.0 $(touch /tmp/pwned)", "DEBUG": "ssa/check/on"},
			want: concat([]instr{fromBuild("golang:1.26"), in("WORKDIR", "/src"), in("ENV", "CGO_ENABLED=0", "GOTOOLCHAIN=local")},
				modules(), []instr{in("ARG", "TARGETOS", "TARGETARCH", "VERSION", "DEBUG"), targetEnv,
					{Cmd: "RUN sh", Flags: buildCaches, Args: goBuild(`-ldflags=-s -w -buildid= -X 'main.v=1.0 $(touch /tmp/pwned)' -X main.q=$(id) \ -X '<1.0 $(touch /tmp/pwned)<'`,
						"-tags=netgo", "-gcflags=all=-N;touch /x", "-gcflags=-d=ssa/check/on",
						"-v;touch${IFS}/x", `-race=$(id)'"\`, "-x=<EOF", "-y=<", "-o", "/out/app", "./cmd/app;touch /tmp/pwned")},
					distroless, binary("app"), in("USER", "65532:65532"), in("ENTRYPOINT", "/app")}),
		},
		{
			desc: "the module directory, build environment, module settings and credentials",
			goimagefile: `version: 1
main: .
dir: "my dir/$HOME/'q'"
env: {A: "$(touch /tmp/p) 'x' \"y\" \\", B: "<<EOF", C: "--from=x"}
goflags: "-p=2   -mod=readonly"
goproxy: "https://p.example.com/$(id),'direct'"
goprivate: "*.corp/\"x\""
gonosumdb: "a\\"
goinsecure: "-x;y"
private: {netrc: corp.netrc, ssh: true}
`,
			want: []instr{
				fromBuild("golang:1.26"),
				in("WORKDIR", "/src/my dir/$HOME/'q'"),
				in("ENV", `A=$(touch /tmp/p) 'x' "y" \`, "B=<<EOF", "C=--from=x", "CGO_ENABLED=0", "GOFLAGS=-p=2 -mod=readonly", "GOTOOLCHAIN=local"),
				in("COPY", "my dir/$HOME/'q'/go.mod", "my dir/$HOME/'q'/go.sum*", "my dir/$HOME/'q'/go.work*", "/src/my dir/$HOME/'q'/"),
				{Cmd: "RUN", Flags: []string{modCache, "--mount=type=secret,id=corp.netrc,target=/root/.netrc", "--mount=type=ssh"},
					Args: []string{"env", "GOINSECURE=-x;y", `GONOSUMDB=a\`, `GOPRIVATE=*.corp/"x"`, "GOPROXY=https://p.example.com/$(id),'direct'", "go", "mod", "download"}},
				in("COPY", ".", "/src/"),
				in("ARG", "TARGETOS", "TARGETARCH"), targetEnv,
				{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-o", "/out/app", ".")},
				distroless, binary("app"), in("USER", "65532:65532"), in("ENTRYPOINT", "/app"),
			},
		},
		{
			desc: "generate steps keep their argv",
			goimagefile: `version: 1
main: .
generate:
  - run: [sh, -c, "echo $HOME; touch x", "<<EOF"]
    inputs: [x]
    install: [example.com/tool@v1.0.0]
  - run: [go, run, ./gen, "--out=$(id)\nRUN touch /x"]
    inputs: [gen]
`,
			want: concat([]instr{fromBuild("golang:1.26"), in("WORKDIR", "/src"), in("ENV", "CGO_ENABLED=0", "GOTOOLCHAIN=local")},
				modules(), []instr{
					{Cmd: "RUN", Flags: buildCaches, Args: []string{"env", "GOBIN=/usr/local/bin", "go", "install", "example.com/tool@v1.0.0"}},
					{Cmd: "RUN", Flags: buildCaches, Args: []string{"sh", "-c", "echo $HOME; touch x", "<<EOF"}},
					{Cmd: "RUN", Flags: buildCaches, Args: []string{"go", "run", "./gen", "--out=$(id)\nRUN touch /x"}},
					in("ARG", "TARGETOS", "TARGETARCH"), targetEnv,
					{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-o", "/out/app", ".")},
					distroless, binary("app"), in("USER", "65532:65532"), in("ENTRYPOINT", "/app")}),
		},
		{
			desc: "files and the image configuration",
			goimagefile: `version: 1
main: .
base: scratch
files:
  - {src: "web/$x y", dst: "/srv/'q' $y/"}
  - {src: "<<EOF", dst: "/--from=x"}
  - {src: "x/--from=build", dst: "/a\\"}
image:
  workdir: "/x y/$HOME/'q'\\"
  user: "1000:1000"
  labels: {"a b": "$(id) 'x' \"y\" \\", "c$HOME": "<<EOF", "--x": "-y"}
  env: {TZ: "$TZ'\"\\", X: "a b"}
  volumes: ["/data $x", "/'q'\\", "/--from=x"]
  expose: ["8080/udp"]
  stopsignal: SIGINT
  entrypoint: ["/app", "$HOME", "a;b\nc", "<<EOF"]
  cmd: ["--from=x", "\\"]
`,
			want: concat([]instr{fromBuild("golang:1.26"), in("WORKDIR", "/src"), in("ENV", "CGO_ENABLED=0", "GOTOOLCHAIN=local")},
				modules(), []instr{in("ARG", "TARGETOS", "TARGETARCH"), targetEnv,
					{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-o", "/out/app", ".")},
					in("FROM", "scratch"),
					{Cmd: "COPY", Flags: []string{"--chown=0:0"}, Args: []string{"web/$x y", "/srv/'q' $y/"}},
					{Cmd: "COPY", Flags: []string{"--chown=0:0"}, Args: []string{"<<EOF", "/--from=x"}},
					{Cmd: "COPY", Flags: []string{"--chown=0:0"}, Args: []string{"x/--from=build", `/a\`}},
					binary("app"),
					in("ENV", `TZ=$TZ'"\`, "X=a b"),
					in("LABEL", "--x=-y"),
					in("LABEL", `a b=$(id) 'x' "y" \`),
					in("LABEL", "c$HOME=<<EOF"),
					in("EXPOSE", "8080/udp"),
					in("VOLUME", "/data $x", `/'q'\`, "/--from=x"),
					in("STOPSIGNAL", "SIGINT"),
					in("WORKDIR", `/x y/$HOME/'q'\`),
					in("USER", "1000:1000"),
					in("ENTRYPOINT", "/app", "$HOME", "a;b\nc", "<<EOF"),
					in("CMD", "--from=x", `\`)}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s, err := spec.Parse([]byte(tt.goimagefile))
			if err != nil {
				t.Fatal(err)
			}
			got := write(t, s)
			if diff := cmp.Diff(instructionsOf(t, got, tt.args), tt.want); diff != "" {
				t.Errorf("instructions (-got +want):\n%s\n%s", diff, got)
			}
		})
	}
}

// TestWriteUnvalidated writes specs that spec.Parse would refuse but that a Dockerfile can
// still say: Write quotes them rather than trusting validation it does not see.
func TestWriteUnvalidated(t *testing.T) {
	tests := []struct {
		desc   string
		modify func(s *spec.Spec)
		want   []instr // the instructions after head()
	}{
		{
			desc: "a main that looks like a flag, a flag with a space, an absolute main",
			modify: func(s *spec.Spec) {
				s.Binaries = []spec.Binary{{Name: "a", Main: "-toolexec=x"}, {Name: "b", Main: "/etc", Flags: []string{"-x y"}}}
				s.Image.Entrypoint = nil
			},
			want: []instr{
				{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-o", "/out/a", "./-toolexec=x")},
				{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-x y", "-o", "/out/b", ".//etc")},
				in("FROM", "scratch"), binary("a"), binary("b"), in("USER", "0:0"),
			},
		},
		{
			desc: "image settings without their spelling",
			modify: func(s *spec.Spec) {
				s.Image.User = "a b;$(id)'"
				s.Image.StopSignal = "SIG$x'\\"
				s.Image.Workdir = "rel $x"
				s.Image.Volumes = []string{"rel $x", "-v"}
				s.Image.Labels = map[string]string{`'a'\`: "<<EOF"}
				s.Image.Env = map[string]string{"_": "\\"}
				s.Files = []spec.File{{Src: "--from=build", Dst: "--x y"}}
			},
			want: []instr{
				{Cmd: "RUN", Flags: buildCaches, Args: goBuild("-ldflags=-s -w -buildid=", "-o", "/out/app", "./cmd/app")},
				in("FROM", "scratch"),
				{Cmd: "COPY", Flags: []string{"--chown=0:0"}, Args: []string{"--from=build", "--x y"}},
				binary("app"),
				in("ENV", `_=\`),
				in("LABEL", `'a'\=<<EOF`),
				in("VOLUME", "rel $x", "-v"),
				in("STOPSIGNAL", `SIG$x'\`),
				in("WORKDIR", "rel $x"),
				in("USER", "a b;$(id)'"),
				in("ENTRYPOINT", "/app"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := parse(t, "version: 1\nmain: ./cmd/app\nbase: scratch\nimage: {user: root}\n")
			tt.modify(s)
			got := write(t, s)
			if diff := cmp.Diff(instructionsOf(t, got, nil), concat(head(), tt.want)); diff != "" {
				t.Errorf("instructions (-got +want):\n%s\n%s", diff, got)
			}
		})
	}
}

func parse(t *testing.T, goimagefile string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse([]byte(goimagefile))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, s *spec.Spec) string {
	t.Helper()
	got, err := writeSpec(s)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return got
}
