package llb

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const toolchainName = "[internal] the Go toolchain of golang:1.26"

// TestGoRunRoot checks which root filesystem each exec op runs on: the offline go commands of
// an image build run on the toolchain layer when the default builder and cgo-off allow it,
// every other step, and every step of a build that does not allow it, on the builder image.
func TestGoRunRoot(t *testing.T) {
	const (
		toolchain = "toolchain"
		published = "published toolchain"
		builder   = "builder"
	)
	builtOnToolchain := map[string]string{
		"[internal] build goimage-helper":                       toolchain,
		"list the dependencies of ./cmd/app linux/arm64":        toolchain,
		"select the modules of ./cmd/app linux/arm64":           toolchain,
		"compile the dependencies of ./cmd/app linux/arm64":     toolchain,
		"compile the standard library of ./cmd/app linux/arm64": toolchain,
		"go build ./cmd/app linux/arm64":                        toolchain,
		"SBOM of /app linux/arm64":                              toolchain,
		downloadName:                                            toolchain,
		"go install golang.org/x/tools/cmd/stringer@v0.30.0":    builder,
		"generate: go generate ./...":                           builder,
	}
	allBuilder := map[string]string{}
	onPublished := map[string]string{}
	for name, root := range builtOnToolchain {
		allBuilder[name] = builder
		onPublished[name] = root
		if root == toolchain {
			onPublished[name] = published
		}
	}
	const generate = "generate:\n  - run: [go, generate, ./...]\n    inputs: [color/]\n    install: [golang.org/x/tools/cmd/stringer@v0.30.0]\n"
	tests := []struct {
		desc        string
		goimagefile string
		images      ImageSource
		toolchain   ToolchainSource
		want        map[string]string
	}{
		{desc: "the golang image, cgo off", goimagefile: minimal + generate, images: golangImages(defaultPath), want: builtOnToolchain},
		{desc: "the golang image and a published toolchain", goimagefile: minimal + generate, images: stdlibGolang("1.26.8"), toolchain: &fakeToolchain{found: true}, want: onPublished},
		{desc: "the golang image, no published toolchain", goimagefile: minimal + generate, images: stdlibGolang("1.26.8"), toolchain: &fakeToolchain{}, want: builtOnToolchain},
		{desc: "an explicit builder and a published toolchain", goimagefile: minimal + generate + "builder: golang:1.26\n", images: stdlibGolang("1.26.8"), toolchain: &fakeToolchain{found: true}, want: allBuilder},
		{desc: "a golang image with GOROOT elsewhere", goimagefile: minimal + generate, images: golangImages("/usr/lib/go/bin:/usr/bin"), want: allBuilder},
		{desc: "a builder without configuration, such as a local named context", goimagefile: minimal + generate, want: allBuilder},
		{desc: "an explicit builder", goimagefile: minimal + generate + "builder: golang:1.26\n", images: golangImages(defaultPath), want: allBuilder},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			opt.SBOM = true
			opt.Images = tc.images
			opt.Toolchain = tc.toolchain
			res, err := Convert(context.Background(), resolve(t, parse(t, tc.goimagefile), nil), opt)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, st := range []*graph{load(t, res.State), load(t, *res.SBOM)} {
				for _, n := range st.execs() {
					root, _ := n.mountSource("/")
					switch {
					case root != nil && root.name() == toolchainName:
						got[n.name()] = toolchain
					case root != nil && root.op.GetSource() != nil && strings.HasPrefix(root.source().Identifier, "docker-image://"+publishedToolchain+"@"):
						got[n.name()] = published
					case root != nil && root.op.GetSource() != nil && strings.HasSuffix(root.source().Identifier, "/golang:1.26"):
						got[n.name()] = builder
					default:
						got[n.name()] = "other: " + root.String()
					}
				}
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("roots (-got +want):\n%s", diff)
			}
		})
	}
}

// golangImages is an ImageSource whose golang:1.26 has the PATH given.
func golangImages(path string) *fakeImages {
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=" + path}
	return &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{"golang:1.26": img}}
}

// publishedToolchain is the toolchain fakeToolchain finds, before its pin.
const publishedToolchain = "docker.io/goimage/frontend-toolchain:1.26.8-linux-amd64"

// fakeToolchain is a ToolchainSource that finds publishedToolchain if found says so.
type fakeToolchain struct {
	found bool
	calls []string // "version build"
}

func (f *fakeToolchain) Toolchain(_ context.Context, version string, build ocispecs.Platform) (llb.State, bool) {
	f.calls = append(f.calls, version+" "+platforms.Format(build))
	if !f.found {
		return llb.State{}, false
	}
	return llb.Image(publishedToolchain + "@sha256:" + strings.Repeat("a", 64)), true
}

// TestPublishedToolchain checks the graph of a build whose toolchain is published ahead: the
// lookup names the builder's Go version and the build platform, and is made only where the
// toolchain layer would serve; where it finds one, no step reads the builder image, not even
// for the download's CA bundle (the published toolchain has its own), so a cold builder
// never pulls it.
func TestPublishedToolchain(t *testing.T) {
	tests := []struct {
		desc, goimagefile string
		images            ImageSource
		found             bool
		wantCalls         []string
		wantBuilder       bool // a step reads the builder image
	}{
		{desc: "found", goimagefile: minimal, images: stdlibGolang("1.26.8"), found: true, wantCalls: []string{"1.26.8 linux/amd64"}},
		{desc: "not found", goimagefile: minimal, images: stdlibGolang("1.26.8"), wantCalls: []string{"1.26.8 linux/amd64"}, wantBuilder: true},
		{desc: "found, and the image copies the builder's CA bundle", goimagefile: minimal + "cacerts: true\n", images: stdlibGolang("1.26.8"), found: true, wantCalls: []string{"1.26.8 linux/amd64"}, wantBuilder: true},
		{desc: "an explicit builder", goimagefile: minimal + "builder: golang:1.26\n", images: stdlibGolang("1.26.8"), found: true, wantBuilder: true},
		{desc: "cgo", goimagefile: minimal + "cgo: true\n", images: stdlibGolang("1.26.8"), found: true, wantBuilder: true},
		{desc: "no Go version in the builder", goimagefile: minimal, images: golangImages(defaultPath), found: true, wantBuilder: true},
		{desc: "a Go version that names no image", goimagefile: minimal, images: stdlibGolang("1.26.8 && true"), found: true, wantBuilder: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			f := &fakeToolchain{found: tc.found}
			_, g := convert(t, tc.goimagefile, Options{BuildPlatform: amd64, Images: tc.images, Toolchain: f})
			if diff := cmp.Diff(f.calls, tc.wantCalls); diff != "" {
				t.Errorf("toolchain lookups (-got +want):\n%s", diff)
			}
			builders := g.sources("docker-image://docker.io/library/golang:1.26")
			if got := len(builders) > 0; got != tc.wantBuilder {
				t.Errorf("a step reads the builder image: %v, want %v", got, tc.wantBuilder)
			}
			// The download's CA bundle: the published toolchain's own, or the builder's,
			// mounted onto the toolchain layer or in the builder itself.
			download := g.named(downloadName)
			root, _ := download.mountSource("/")
			onLayer := root != nil && root.name() == toolchainName
			if certs := slices.Contains(download.mountDests(), "/etc/ssl/certs"); certs != onLayer {
				t.Errorf("the download mounts the builder's CA bundle: %v, runs on the toolchain layer: %v; want both or neither", certs, onLayer)
			}
		})
	}
}

// TestGoRunRootCgo checks that a cgo build keeps the builder, whose gcc it needs.
func TestGoRunRootCgo(t *testing.T) {
	_, g := convert(t, minimal+"cgo: true\n", Options{BuildPlatform: amd64, Images: golangImages(defaultPath)})
	if names := g.namedPrefix(toolchainName); len(names) != 0 {
		t.Errorf("a cgo build has a toolchain layer: %v", names)
	}
	root, _ := g.named("go build ./cmd/app linux/amd64").mountSource("/")
	if root == nil || root.op.GetSource() == nil {
		t.Errorf("go build runs on %v, want the builder image", root)
	}
}

// TestToolchainLayer checks the toolchain layer: GOROOT copied from the builder, without what
// a go build never reads, and a /tmp for the go command's work files; by a file op when the
// graph builds goimage-helper, by the frontend image's helper otherwise.
func TestToolchainLayer(t *testing.T) {
	prebuilt := &PrebuiltHelper{State: llb.Image("docker.io/goimage/frontend:1"), Dir: HelperDir()}
	for _, tc := range []struct {
		desc   string
		helper *PrebuiltHelper
	}{{desc: "the graph builds the helper"}, {desc: "the frontend image's helper", helper: prebuilt}} {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			opt.Images = golangImages(defaultPath)
			opt.Helper = tc.helper
			_, g := convert(t, minimal, opt)
			n := g.named(toolchainName)
			// The ops running on the layer carry the build platform.
			if got := platformOf(g.named("list the dependencies of ./cmd/app linux/arm64").op); got != "linux/amd64" {
				t.Errorf("the list runs on %s, want the build platform linux/amd64", got)
			}
			var patterns []string
			if tc.helper == nil {
				patterns = toolchainFileOp(t, n)
			} else {
				patterns = toolchainExec(t, n)
			}
			checkToolchainExcludes(t, patterns)
		})
	}
}

// toolchainFileOp checks the file op form of the layer and returns its exclude patterns.
func toolchainFileOp(t *testing.T, n *node) []string {
	t.Helper()
	if from := n.inputs(); len(from) != 1 || from[0].source().Identifier != "docker-image://docker.io/library/golang:1.26" {
		t.Fatalf("inputs %v, want the golang:1.26 image alone", from)
	}
	f := n.file()
	if f == nil || len(f.Actions) != 2 {
		t.Fatalf("%v, want a file op of a copy and a mkdir", n)
	}
	cp := f.Actions[0].GetCopy()
	if cp == nil || cp.Src != goRoot || cp.Dest != goRoot || !cp.DirCopyContents || !cp.CreateDestPath || cp.Timestamp != 0 {
		t.Fatalf("first action %v, want GOROOT's contents copied to %s at the epoch", f.Actions[0], goRoot)
	}
	mk := f.Actions[1].GetMkdir()
	if mk == nil || mk.Path != "/tmp" || mk.Mode != 0o777 {
		t.Errorf("second action %v, want /tmp with mode 777", f.Actions[1])
	}
	return cp.ExcludePatterns
}

// toolchainExec checks the exec form of the layer and returns its exclude patterns.
func toolchainExec(t *testing.T, n *node) []string {
	t.Helper()
	e := n.exec()
	if e == nil {
		t.Fatalf("%v, want an exec", n)
	}
	if root, _ := n.mountSource("/"); root == nil || root.source().Identifier != "docker-image://docker.io/library/golang:1.26" {
		t.Errorf("runs on %v, want the golang:1.26 image", root)
	}
	if helper, _ := n.mountSource(helperDir); helper == nil || helper.source().Identifier != "docker-image://docker.io/goimage/frontend:1" {
		t.Errorf("%s from %v, want the frontend image", helperDir, helper)
	}
	if m := n.mount(helperDir); m == nil || !m.Readonly || m.Selector != HelperDir() {
		t.Errorf("helper mount %v, want %s read-only", m, HelperDir())
	}
	if m := n.mount(toolchainDir); m == nil || m.Input != -1 || m.Output < 0 || m.Readonly {
		t.Errorf("output mount %v, want a writable scratch output", m)
	}
	if e.Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", e.Network)
	}
	args := e.Meta.Args
	want := []string{helperBin, "toolchain", "-o", toolchainDir, "-epoch", "1970-01-01T00:00:00Z"}
	if len(args) < len(want)+1 || !cmp.Equal(args[:len(want)], want) || args[len(args)-1] != goRoot {
		t.Fatalf("args %q, want %q ... %s", args, want, goRoot)
	}
	var patterns []string
	for i := len(want); i < len(args)-1; i += 2 {
		if args[i] != "-exclude" || i+1 >= len(args)-1 {
			t.Fatalf("args %q: %q where -exclude PATTERN belongs", args, args[i])
		}
		patterns = append(patterns, args[i+1])
	}
	return patterns
}

// checkToolchainExcludes checks exclude patterns as BuildKit matches them: relative to the
// copy's source, like .dockerignore. goimage-helper's tests check it matches the same way.
func checkToolchainExcludes(t *testing.T, patterns []string) {
	t.Helper()
	excluded := func(p string) bool {
		t.Helper()
		m, err := patternmatcher.MatchesOrParentMatches(p, patterns)
		if err != nil {
			t.Fatalf("exclude patterns %q: %v", patterns, err)
		}
		return m
	}
	for _, p := range []string{
		"src/cmd/go/main.go", "src/net/http/server_test.go", "src/time/testdata/x", "test/bench/x.go",
		"bin/gofmt", "pkg/tool/linux_amd64/vet", "pkg/tool/linux_arm64/cgo",
	} {
		if !excluded(p) {
			t.Errorf("%s is copied, want it left out", p)
		}
	}
	for _, p := range []string{
		"bin/go", "go.env", "VERSION", "pkg/include/textflag.h", "lib/time/zoneinfo.zip",
		"pkg/tool/linux_amd64/compile", "pkg/tool/linux_amd64/asm", "pkg/tool/linux_amd64/link",
		"pkg/tool/linux_amd64/cover", "pkg/tool/linux_amd64/preprofile",
		"src/runtime/proc.go", "src/runtime/asm_amd64.s", "src/vendor/modules.txt",
		"src/go/doc/doc.go", "src/internal/coverage/test/counter.go", "src/time/tzdata/zzipdata.go",
	} {
		if excluded(p) {
			t.Errorf("%s is left out, which go build reads", p)
		}
	}
}

// TestHelperTestsConverterExcludes checks that the helper's tests (llb/helper, which cannot
// import this package) test the toolchain exclusions the converter passes: its
// converterExcludes must be toolchainExcludes.
func TestHelperTestsConverterExcludes(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "helper/toolchain_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "converterExcludes" || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatalf("converterExcludes is %T, want a composite literal", spec.Values[0])
		}
		for _, e := range lit.Elts {
			s, err := strconv.Unquote(e.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		return false
	})
	if diff := cmp.Diff(got, toolchainExcludes); diff != "" {
		t.Errorf("helper/toolchain_test.go converterExcludes (-got +want):\n%s", diff)
	}
}

// TestDockerfileToolchainExcludes checks that the frontend image's Dockerfile builds the
// published toolchain (target toolchain) without what the toolchain layer leaves out: the
// two must hold the same GOROOT.
func TestDockerfileToolchainExcludes(t *testing.T) {
	dt, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	_, stage, ok := strings.Cut(string(dt), " AS toolchain-build\n")
	if !ok {
		t.Fatal("the Dockerfile has no stage toolchain-build")
	}
	stage, _, _ = strings.Cut(stage, "\nFROM ")
	fields := strings.Fields(strings.ReplaceAll(stage, "\\\n", " "))
	var got []string
	for i, f := range fields {
		if f == "-exclude" && i+1 < len(fields) {
			got = append(got, strings.Trim(fields[i+1], "'"))
		}
	}
	if diff := cmp.Diff(got, toolchainExcludes); diff != "" {
		t.Errorf("the Dockerfile's -exclude flags (-got +want):\n%s", diff)
	}
}

// TestTestTargetToolchain checks the test target's roots with a published toolchain: go test
// runs on the builder, for go vet and cgo; its downloads run on the published toolchain, as
// the image build's do, so that the two share the download layers.
func TestTestTargetToolchain(t *testing.T) {
	f := &fakeToolchain{found: true}
	st, err := ConvertTest(context.Background(), resolve(t, parse(t, minimal), nil), Options{BuildPlatform: amd64, Images: stdlibGolang("1.26.8"), Toolchain: f})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range load(t, st).execs() {
		root, _ := n.mountSource("/")
		switch {
		case root != nil && root.op.GetSource() != nil && strings.HasPrefix(root.source().Identifier, "docker-image://"+publishedToolchain+"@"):
			got[n.name()] = "published toolchain"
		case root != nil && root.op.GetSource() != nil && strings.HasSuffix(root.source().Identifier, "/golang:1.26"):
			got[n.name()] = "builder"
		default:
			got[n.name()] = "other"
		}
	}
	want := map[string]string{downloadName: "published toolchain", "[internal] build goimage-helper": "published toolchain", "go test ./... linux/amd64": "builder"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("roots of the test target (-got +want):\n%s", diff)
	}
}
