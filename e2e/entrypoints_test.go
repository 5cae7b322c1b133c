package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/dockerfile"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestEntryPoints builds one example by every way a user reaches the frontend and checks that
// each gives the same image, which runs: the output depends on the inputs, never on the
// entry point.
func TestEntryPoints(t *testing.T) {
	c := daemon(t)
	const want = "hello from goimage: linux/amd64, uid 65532"
	dir := example(t, "hello")
	var first *pushedImage
	for _, tc := range []struct {
		desc  string
		build func(t *testing.T, ref string)
	}{
		{
			desc:  "buildctl, # syntax= line",
			build: func(t *testing.T, ref string) { buildctlSyntax(t, dir, ref) },
		},
		{
			desc: "buildctl, gateway.v0 source=",
			build: func(t *testing.T, ref string) {
				mustCommand(t, "buildctl", "build", "--progress=plain", "--frontend", "gateway.v0",
					"--opt", "source="+frontendSource,
					"--local", "context="+dir, "--local", "dockerfile="+dir, "--output", pushOutput(ref))
			},
		},
		{
			desc: "docker buildx build -f Goimagefile (remote driver)",
			build: func(t *testing.T, ref string) {
				// Provenance off: an attestation manifest would sit beside the image, and
				// this test compares images, not indexes.
				mustCommand(t, "docker", "buildx", "build", "--progress=plain", "--provenance=false",
					"-f", filepath.Join(dir, "Goimagefile"), "--output", pushOutput(ref), dir)
			},
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ref := imageRef(t, "hello")
			tc.build(t, ref)
			imgs := pulledImages(t, ref)
			if len(imgs) != 1 {
				t.Fatalf("%d images, want 1", len(imgs))
			}
			checkImage(t, examples[0], imgs[0])
			if first == nil {
				first = imgs[0]
			} else if imgs[0].Manifest != first.Manifest {
				t.Errorf("image manifest %s, want %s as from the first entry point", imgs[0].Manifest, first.Manifest)
			}
			if out := runImage(t, c, ref); !strings.Contains(out, want) {
				t.Errorf("running the image printed %q, want %q", out, want)
			}
		})
	}
}

// TestBake runs `docker buildx bake` on the repository's docker-bake.hcl: every example (multi
// for both of its platforms) and the stand-in projects' test targets.
func TestBake(t *testing.T) {
	daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "buildx", "bake", "--progress=plain")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker buildx bake: %v\n%s", err, out)
	}
	for _, want := range []string{"[example-hello]", "[example-deps]", "[example-multi linux/arm64]", "[test-service] go test ./...", "[test-generate] generate: go tool stringer"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the bake output lacks %q:\n%s", want, out)
		}
	}
}

// TestBakeReleaseImages bakes what release.yml pushes, docker-bake.hcl's frontend, stdlib and
// toolchain targets, into the mirror: every layer is zstd, and a cold build through that
// frontend image finds the standard library image next to its own and reads it instead of
// compiling, and runs on the toolchain image without pulling the builder image. The same
// build with a named context standing in for the builder copies the toolchain out of it
// instead, and must give the same image.
func TestBakeReleaseImages(t *testing.T) {
	c := daemon(t)
	// The stand-in golang image's GOLANG_VERSION is the host's Go version (hack/dev), as
	// release.yml reads the version from golang:1.26.
	version := strings.TrimPrefix(runtime.Version(), "go")
	const repo = "goimage-e2e/bake-frontend"
	frontend := mirror + "/" + repo + ":1"
	golang := "docker-image://" + mirror + "/library/golang:1.26"
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// As release.yml pins golang:1.26 for every image, here to the mirror's.
	cmd := exec.CommandContext(ctx, "docker", "buildx", "bake", "--progress=plain", "--push",
		"--set", "*.contexts.golang:1.26="+golang, "frontend", "stdlib", "toolchain")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "FRONTEND_IMAGE="+frontend, "STDLIB_IMAGE="+mirror+"/"+repo+"-stdlib",
		"TOOLCHAIN_IMAGE="+mirror+"/"+repo+"-toolchain", "GO_VERSION="+version, "BUILD_ARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker buildx bake frontend stdlib toolchain: %v\n%s", err, out)
	}
	stdlibTag := func(arch string) string { return version + "-linux-" + runtime.GOARCH + "-linux-" + arch }
	toolchainTag := func(arch string) string { return version + "-linux-" + arch }
	for _, img := range []struct{ repo, tag string }{
		{repo, "1"},
		{repo + "-stdlib", stdlibTag("amd64")}, {repo + "-stdlib", stdlibTag("arm64")},
		{repo + "-toolchain", toolchainTag("amd64")}, {repo + "-toolchain", toolchainTag("arm64")},
	} {
		types := layerMediaTypes(t, img.repo, img.tag)
		if len(types) == 0 {
			t.Errorf("%s:%s has no layers", img.repo, img.tag)
		}
		for _, mt := range types {
			if mt != ocispecs.MediaTypeImageLayerZstd {
				t.Errorf("%s:%s has a %s layer, want zstd", img.repo, img.tag, mt)
			}
		}
	}

	platform := "linux/" + runtime.GOARCH
	toolchainStep := "[internal] the Go " + version + " toolchain for " + platform
	ref := imageRef(t, "hello-bake")
	resp, steps, err := solve(t, freshDaemon(t), example(t, "hello"), map[string]string{"build-arg:BUILDKIT_SYNTAX": frontend}, pushExport(ref))
	if err != nil {
		t.Fatalf("cold build through the baked frontend: %v\n%s", err, steps.output())
	}
	for _, lookup := range []string{repo + "-stdlib:" + stdlibTag(runtime.GOARCH), repo + "-toolchain:" + toolchainTag(runtime.GOARCH)} {
		if l := steps.get(t, "["+platform+"] load metadata for "+mirror+"/"+lookup); l.Error != "" {
			t.Errorf("the lookup of %s failed: %s", lookup, l.Error)
		}
	}
	readStdlibAhead(t, steps, platform)
	if !steps.pulled(t, toolchainStep) {
		t.Errorf("the build did not pull the toolchain image (%q)", toolchainStep)
	}
	if b := builderSteps(steps); len(b) != 0 {
		t.Errorf("a build on the toolchain image has the builder image as a step: %v", b)
	}
	if out, want := runImage(t, c, ref), "hello from goimage: "+platform; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want %q", out, want)
	}

	// A named context for the builder: the toolchain layer, copied out of the builder.
	copied, steps, err := solve(t, freshDaemon(t), example(t, "hello"), map[string]string{
		"build-arg:BUILDKIT_SYNTAX": frontend, "context:golang:1.26": golang,
	}, client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}})
	if err != nil {
		t.Fatalf("cold build with the builder as a named context: %v\n%s", err, steps.output())
	}
	if steps.has(toolchainStep) || len(steps.prefixed("[internal] the Go toolchain of")) == 0 || len(builderSteps(steps)) == 0 {
		t.Errorf("with the builder as a named context, the build ran on the toolchain image, not on a copy of the builder's: %q", steps.prefixed(""))
	}
	if got, want := copied.ExporterResponse["containerimage.digest"], resp.ExporterResponse["containerimage.digest"]; got != want || got == "" {
		t.Errorf("the image built on the builder's toolchain is %q, on the toolchain image %q: want the same", got, want)
	}
}

// builderSteps are a build's steps that read a golang image, not its configuration alone:
// "docker-image://docker.io/library/golang:1.26@..." (the graph names the builder by its own
// reference, which the daemon pulls through the mirror), or "[context golang:1.26] ..." for a
// named context standing in for it.
func builderSteps(steps *vertices) []string {
	var names []string
	for _, name := range steps.prefixed("") {
		if strings.Contains(name, "/golang:") && !strings.Contains(name, "load metadata for") {
			names = append(names, name)
		}
	}
	return names
}

// TestDockerfileEquivalent builds what `goimage dockerfile` writes with BuildKit's Dockerfile
// frontend and runs it: the image must print what goimage's own image prints.
func TestDockerfileEquivalent(t *testing.T) {
	c := daemon(t)
	for _, tc := range []struct {
		name, dir string
		args      []string
		want      string
	}{
		{name: "deps", dir: example(t, "deps"), args: []string{"--opt", "build-arg:VERSION=1.2.3"},
			want: "deps 1.2.3: uuid 09554384-0143-56b0-af5c-55f865b81170, uid 65532"},
		{name: "service", dir: project(t, "service"), args: []string{"--opt", "build-arg:VERSION=2.0"},
			want: "bonjour, api; version=2.0 revision= date= zone=CET ca=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := spec.Parse(mustRead(t, filepath.Join(tc.dir, "Goimagefile")))
			if err != nil {
				t.Fatal(err)
			}
			p, err := plan.Resolve(s, plan.Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			df, err := dockerfile.Write(p)
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(tc.dir, "Dockerfile"), df)
			ref := imageRef(t, "dockerfile-"+tc.name)
			mustCommand(t, "buildctl", append([]string{"build", "--progress=plain", "--frontend", "dockerfile.v0",
				"--local", "context=" + tc.dir, "--local", "dockerfile=" + tc.dir, "--output", pushOutput(ref)}, tc.args...)...)
			if out := runImage(t, c, ref); !strings.Contains(out, tc.want) {
				t.Errorf("the Dockerfile's image printed %q, want %q", out, tc.want)
			}
		})
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCallCheck runs `docker buildx build --call check`: a Goimagefile that breaks rules gets
// each rule's name, message, docs link and line, and a failing exit status; a clean one passes.
// MissingGoSum reads the build context, as the offline `goimage check` reads the directory.
func TestCallCheck(t *testing.T) {
	daemon(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "Goimagefile")
	write(t, file, "# syntax=goimage/frontend:1\nversion: 1\nmain: .\nimage: {user: root}\nbase: scratch\n")
	write(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.26\n\nrequire example.com/x v1.0.0\n")
	out, err := command(t, "docker", "buildx", "build", "--call", "check", "-f", file, dir)
	if err == nil {
		t.Errorf("--call check passed a Goimagefile that runs as root:\n%s", out)
	}
	for _, want := range []string{"RootUser", "docs/checks.md#rootuser", "Goimagefile:4", "ScratchWithoutCAs", "MissingGoSum", "go.mod has requirements but no go.sum"} {
		if !strings.Contains(out, want) {
			t.Errorf("--call check output lacks %q:\n%s", want, out)
		}
	}
	write(t, file, "# syntax=goimage/frontend:1\nversion: 1\nmain: .\n")
	write(t, filepath.Join(dir, "go.sum"), "example.com/x v1.0.0/go.mod h1:AAAA\n")
	if out, err := command(t, "docker", "buildx", "build", "--call", "check", "-f", file, dir); err != nil {
		t.Errorf("--call check failed a clean Goimagefile: %v\n%s", err, out)
	}
}

// TestInit writes a Goimagefile with `goimage init` for projects that have none (a vendored
// module, a go.work workspace, a main package in C through cgo, examples/deps with a version
// variable, which --build-arg VERSION sets), builds each and runs the image.
func TestInit(t *testing.T) {
	c := daemon(t)
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{name: "vendored", want: "vendored: clear is better than clever"},
		{name: "workspace", want: "workspace: lib from the workspace"},
		{name: "cgo", want: "cgo: 2+3=5, strlen=7"},
		{name: "deps", want: "deps 1.2.3: uuid", args: []string{"--opt", "build-arg:VERSION=1.2.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dir string
			if tc.name == "deps" {
				dir = example(t, tc.name)
			} else {
				dir = project(t, tc.name)
			}
			if err := os.Remove(filepath.Join(dir, "Goimagefile")); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "run", "./cmd/goimage", "init", dir)
			cmd.Dir = repoRoot(t)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("goimage init: %v\n%s", err, out)
			}
			ref := imageRef(t, "init")
			buildctlSyntax(t, dir, ref, tc.args...)
			if out := runImage(t, c, ref); !strings.Contains(out, tc.want) {
				t.Errorf("the image of the generated Goimagefile printed %q", out)
			}
		})
	}
}
