package llb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
)

// TestCompileFlags checks that gcflags, extra flags and tzdata reach the go build step and
// the dependency compile step alike, so the dependency cache matches what the build needs.
func TestCompileFlags(t *testing.T) {
	goimagefile := `version: 1
tzdata: true
binaries:
  - name: app
    main: ./cmd/app
    gcflags: ["all=-N -l", "-d=${DEBUG}"]
    flags: [-race, -buildmode=pie]
  - name: plain
    main: ./cmd/plain
`
	opt := crossOpts(amd64)
	_, g := convertWith(t, goimagefile, map[string]string{"DEBUG": "ssa/check/on"}, opt)
	wantFlags := []string{"-tags", "timetzdata", "-gcflags", "all=-N -l", "-gcflags", "-d=ssa/check/on", "-race", "-buildmode=pie"}
	build := g.named("go build ./cmd/app linux/amd64").exec().Meta.Args
	if !containsRun(build, wantFlags) {
		t.Errorf("go build args %q lack %q in order", build, wantFlags)
	}
	deps := g.named("compile the dependencies of ./cmd/app linux/amd64").exec().Meta.Args
	if !containsRun(deps, wantFlags) {
		t.Errorf("dependency compile args %q lack %q in order", deps, wantFlags)
	}
	// The other binary compiles differently: a dependency cache of its own, with tzdata only.
	plain := g.named("compile the dependencies of ./cmd/plain linux/amd64").exec().Meta.Args
	if !containsRun(plain, []string{"-tags", "timetzdata", "./goimagedeps"}) || slices.Contains(plain, "-race") {
		t.Errorf("plain's dependency compile args = %q", plain)
	}
}

// containsRun reports whether want appears in args as consecutive elements.
func containsRun(args, want []string) bool {
	for i := range args {
		if i+len(want) <= len(args) && slices.Equal(args[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// TestModuleSettings checks where GOFLAGS, GONOSUMDB and GOINSECURE go: GOFLAGS to every go
// command of the user's build, the module download settings to the download step only.
func TestModuleSettings(t *testing.T) {
	_, g := convert(t, minimal+"goflags: -mod=readonly -p=2\ngonosumdb: corp.example.com\ngoinsecure: insecure.example.com\n", crossOpts(amd64))
	dl := g.named(downloadName).env()
	want := map[string]string{"GOFLAGS": "-mod=readonly -p=2", "GONOSUMDB": "corp.example.com", "GOINSECURE": "insecure.example.com"}
	if diff := cmp.Diff(pick(dl, "GOFLAGS", "GONOSUMDB", "GOINSECURE"), want); diff != "" {
		t.Errorf("download env (-got +want):\n%s", diff)
	}
	build := g.named("go build ./cmd/app linux/amd64").env()
	if diff := cmp.Diff(pick(build, "GOFLAGS", "GONOSUMDB", "GOINSECURE"), map[string]string{"GOFLAGS": "-mod=readonly -p=2"}); diff != "" {
		t.Errorf("go build env (-got +want):\n%s", diff)
	}
}

// TestVendor checks a vendored module's graph: no download step, -mod=vendor everywhere, and
// the dependency compile keyed on go.mod and vendor/ alone.
func TestVendor(t *testing.T) {
	_, g := convert(t, "version: 1\ndir: svc\nvendor: true\nmain: ./cmd/app\n", crossOpts(amd64))
	if names := g.names(); slices.Contains(names, downloadName) {
		t.Errorf("a vendored build has a download step: %q", names)
	}
	for _, n := range g.execs() {
		if strings.HasPrefix(n.name(), "[internal]") {
			continue
		}
		if got := n.env()["GOFLAGS"]; got != "-mod=vendor" {
			t.Errorf("%s: GOFLAGS = %q, want -mod=vendor", n.name(), got)
		}
		if n.exec().Network != pb.NetMode_NONE {
			t.Errorf("%s: network %v, want none", n.name(), n.exec().Network)
		}
	}
	compile := g.named("compile the dependencies of ./cmd/app linux/amd64")
	args := compile.exec().Meta.Args
	if !containsRun(args, []string{"warm", "-copy", vendorDir, "-copy", depsDir, "--", "go", "build", "-trimpath", "./goimagedeps"}) {
		t.Errorf("dependency compile args = %q", args)
	}
	m := compile.mount(vendorDir)
	if !m.Readonly || m.Selector != "/svc" {
		t.Errorf("%s mount: readonly %v selector %q, want read-only /svc", vendorDir, m.Readonly, m.Selector)
	}
	local, _ := compile.mountSource(vendorDir)
	_, include := localInfo(t, local.source())
	if diff := cmp.Diff(include, []string{"svc/go.mod", "svc/go.sum", "svc/vendor"}); diff != "" {
		t.Errorf("vendor include patterns (-got +want):\n%s", diff)
	}
	list := g.named("list the dependencies of ./cmd/app linux/amd64").exec().Meta.Args
	if !slices.Contains(list, "-vendor") {
		t.Errorf("list args %q lack -vendor", list)
	}
}

// TestPrivateModules checks that the netrc secret and the SSH socket reach the download step
// and no other, as secret and SSH mounts (never files of a layer).
func TestPrivateModules(t *testing.T) {
	_, g := convert(t, minimal+"goprivate: corp.example.com\nprivate:\n  netrc: corp-netrc\n  ssh: true\n", crossOpts(amd64))
	for _, n := range g.execs() {
		var secrets, ssh []string
		for _, m := range n.exec().Mounts {
			switch m.MountType {
			case pb.MountType_SECRET:
				secrets = append(secrets, m.Dest+"="+m.SecretOpt.GetID())
			case pb.MountType_SSH:
				ssh = append(ssh, m.Dest)
			}
		}
		if n.name() == credentialsDigestName {
			if len(secrets) != 2 || len(ssh) != 1 {
				t.Errorf("the credentials digest mounts %q %q, want the netrc and the agent", secrets, ssh)
			}
			continue
		}
		if n.name() != downloadName {
			if len(secrets)+len(ssh) > 0 {
				t.Errorf("%s mounts credentials: %q %q", n.name(), secrets, ssh)
			}
			continue
		}
		if diff := cmp.Diff(secrets, []string{netrcPath + "=corp-netrc", rootNetrcPath + "=corp-netrc"}); diff != "" {
			t.Errorf("download secrets (-got +want):\n%s", diff)
		}
		if len(ssh) != 1 {
			t.Errorf("download SSH mounts = %q, want one", ssh)
		}
		env := n.env()
		if env["NETRC"] != netrcPath || env["SSH_AUTH_SOCK"] == "" || env["GOPRIVATE"] != "corp.example.com" {
			t.Errorf("download env NETRC=%q SSH_AUTH_SOCK=%q GOPRIVATE=%q", env["NETRC"], env["SSH_AUTH_SOCK"], env["GOPRIVATE"])
		}
	}
}

// TestExtraFiles checks the files and CA certificates copied into the image and the image
// configuration's volumes and stop signal.
func TestExtraFiles(t *testing.T) {
	res, g := convert(t, minimal+`base: scratch
cacerts: true
files:
  - src: web/static
    dst: /srv/static/
  - src: config.yaml
    dst: /etc/app/config.yaml
image:
  volumes: [/data]
  stopsignal: SIGINT
`, crossOpts(amd64))
	type copied struct{ Src, Dest string }
	var got []copied
	for _, n := range g.all() {
		f := n.op.GetFile()
		if f == nil || n.name() == toolchainName {
			continue
		}
		for _, a := range f.Actions {
			if cp := a.GetCopy(); cp != nil && cp.Src != "/app" {
				got = append(got, copied{cp.Src, cp.Dest})
				if cp.Owner.GetUser().GetByID() != 0 || !cp.DirCopyContents {
					t.Errorf("copy %s: owner %v, directory contents %v; want root and the contents", cp.Src, cp.Owner, cp.DirCopyContents)
				}
			}
		}
	}
	want := []copied{{caBundle, caBundle}, {"/web/static", "/srv/static"}, {"/config.yaml", "/etc/app/config.yaml"}}
	slices.SortFunc(got, func(a, b copied) int { return strings.Compare(a.Src, b.Src) })
	slices.SortFunc(want, func(a, b copied) int { return strings.Compare(a.Src, b.Src) })
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("copies (-got +want):\n%s", diff)
	}
	cfg := res.Image.Config
	if _, ok := cfg.Volumes["/data"]; !ok || len(cfg.Volumes) != 1 || cfg.StopSignal != "SIGINT" {
		t.Errorf("volumes %v stop signal %q, want /data and SIGINT", cfg.Volumes, cfg.StopSignal)
	}
}

// TestTestTarget checks the test target's step: go test of the spec's packages on the build
// platform, offline, with the module and build caches.
func TestTestTarget(t *testing.T) {
	s := parse(t, minimal+"test:\n  packages: [./pkg/...]\n  flags: [-short, -count=1]\n")
	st, err := ConvertTest(context.Background(), resolve(t, s, nil), crossOpts(arm64))
	if err != nil {
		t.Fatal(err)
	}
	g := load(t, st)
	n := g.named("go test ./pkg/... linux/amd64")
	if diff := cmp.Diff(n.exec().Meta.Args, inWorkspace([]string{"go", "test", "-trimpath", "-short", "-count=1", "./pkg/..."})); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	if n.exec().Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", n.exec().Network)
	}
	env := n.env()
	if env["GOARCH"] != "amd64" || env["GOPROXY"] != "off" {
		t.Errorf("GOARCH=%q GOPROXY=%q, want amd64 (tests run where they build) and off", env["GOARCH"], env["GOPROXY"])
	}
	if m := n.mount(goCache); m.MountType != pb.MountType_CACHE {
		t.Errorf("%s is not the build cache mount", goCache)
	}
	if src, _ := n.mountSource(goModCache); src == nil || src.name() != downloadName {
		t.Errorf("the module cache is not the download step's")
	}
}

// TestGenerate checks the generate steps: each runs offline on its inputs and the module files
// alone, its tools come from a go install step of their own, and the build compiles the
// source merged with what the steps wrote.
func TestGenerate(t *testing.T) {
	_, g := convert(t, "version: 1\ndir: svc\nmain: ./cmd/app\ngenerate:\n"+
		"  - run: [go, tool, stringer, -type=Color, ./color]\n    inputs: [color/]\n"+
		"  - run: [protoc-gen-go, --version]\n    inputs: [api/*.proto]\n    install: [google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6]\n"+
		"  - run: [buf, generate]\n    inputs: [api/]\n    install: [github.com/bufbuild/buf/cmd/buf@v1.72.0, google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6]\n",
		crossOpts(arm64))
	gen := g.named("generate: go tool stringer -type=Color ./color")
	if gen.exec().Network != pb.NetMode_NONE || gen.exec().Meta.Cwd != "/src/svc" {
		t.Errorf("network %v cwd %q, want none and /src/svc", gen.exec().Network, gen.exec().Meta.Cwd)
	}
	if env := gen.env(); env["GOARCH"] != "" || env["GOPROXY"] != "off" {
		t.Errorf("GOARCH=%q GOPROXY=%q: a generator runs natively and offline", env["GOARCH"], env["GOPROXY"])
	}
	in, _ := gen.mountSource(srcDir)
	_, include := localInfo(t, in.source())
	if diff := cmp.Diff(include, []string{"svc/go.mod", "svc/go.sum", "svc/go.work", "svc/go.work.sum", "svc/color"}); diff != "" {
		t.Errorf("inputs (-got +want):\n%s", diff)
	}
	if m := gen.mount(srcDir); m.Readonly || m.Output < 0 {
		t.Errorf("/src of a generate step: readonly %v output %d, want a writable output", m.Readonly, m.Output)
	}

	install := g.named("go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6")
	if install.exec().Network == pb.NetMode_NONE {
		t.Errorf("go install runs without the network")
	}
	proto := g.named("generate: protoc-gen-go --version")
	if tools, _ := proto.mountSource(toolsDir); tools == nil || tools.dgst != install.dgst {
		t.Errorf("%s is not the go install step's output", toolsDir)
	}
	if p := proto.env()["PATH"]; !strings.HasPrefix(p, toolsDir+":") {
		t.Errorf("PATH = %q, want %s first", p, toolsDir)
	}
	// Tools of different modules: one go install each (one command takes one module
	// version), merged; the step shared with the other generate step is the same op.
	buf := g.named("go install github.com/bufbuild/buf/cmd/buf@v1.72.0")
	tools, _ := g.named("generate: buf generate").mountSource(toolsDir)
	if tools == nil || tools.op.GetMerge() == nil || len(tools.op.Inputs) != 2 {
		t.Fatalf("the tools of two go installs are not a merge of two: %v", tools)
	}
	if got := []string{tools.inputs()[0].dgst.String(), tools.inputs()[1].dgst.String()}; got[0] != buf.dgst.String() || got[1] != install.dgst.String() {
		t.Errorf("the merged tools come from %v, want the buf and the protoc-gen-go steps", got)
	}

	// The build compiles the merged source.
	src, _ := g.named("go build ./cmd/app linux/arm64").mountSource(srcDir)
	if src == nil || src.op.GetMerge() == nil || len(src.op.Inputs) != 4 {
		t.Fatalf("the go build's source is not a merge of the context and three generated diffs: %v", src)
	}
	for _, in := range src.inputs()[1:] {
		if in.op.GetDiff() == nil {
			t.Errorf("merge input %s is not a diff", in)
		}
	}
}

// TestBuildLabels checks that the build's labels join the image's, under the spec's own.
func TestBuildLabels(t *testing.T) {
	opt := crossOpts(amd64)
	opt.Labels = map[string]string{"org.opencontainers.image.revision": "abc123", "org.opencontainers.image.source": "https://example.com/app.git"}
	res, _ := convert(t, minimal+"image:\n  labels: {org.opencontainers.image.source: https://example.com/mirror.git}\n", opt)
	want := map[string]string{"org.opencontainers.image.revision": "abc123", "org.opencontainers.image.source": "https://example.com/mirror.git"}
	if diff := cmp.Diff(res.Image.Config.Labels, want); diff != "" {
		t.Errorf("labels (-got +want):\n%s", diff)
	}
}

// TestSBOMStep checks the SBOM step: the helper reads the image's binaries offline on the
// build platform, and only when asked.
func TestSBOMStep(t *testing.T) {
	opt := crossOpts(arm64)
	opt.SBOM = true
	res, err := Convert(context.Background(), resolve(t, parse(t, "version: 1\nbinaries: [{name: a, main: ./a}, {name: b, main: ./b}]\n"), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.SBOM == nil {
		t.Fatal("no SBOM state with Options.SBOM")
	}
	g := load(t, *res.SBOM)
	n := g.named("SBOM of /a /b linux/arm64")
	want := []string{helperBin, "sbom", "-o", "/out" + SBOMPath, "-created", "1970-01-01T00:00:00Z", "/goimage/image/a", "/goimage/image/b"}
	if diff := cmp.Diff(n.exec().Meta.Args, want); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	if n.exec().Network != pb.NetMode_NONE || platformOf(n.op) != "linux/amd64" {
		t.Errorf("network %v platform %s, want none on the build platform", n.exec().Network, platformOf(n.op))
	}
	if img, _ := n.mountSource("/goimage/image"); img == nil || img.name() != "copy /a /b into the image" {
		t.Errorf("/goimage/image is not the image: %v", img)
	}
	if res, _ := convert(t, minimal, crossOpts(arm64)); res.SBOM != nil {
		t.Errorf("an SBOM state nobody asked for")
	}
}
