package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client"
)

// oldestBuildKit is the version of the workbench's oldest daemon (hack/dev up oldest):
// Docker Engine 25.0's BuildKit, the oldest goimage supports.
const oldestBuildKit = "v0.12.5"

// oldestBuilder is the docker buildx builder hack/dev up oldest registers for that daemon.
const oldestBuilder = "goimage-oldest"

// oldestDaemon returns the workbench's oldest buildkitd and its address, after checking that
// it is that version, or skips the test when there is none (fails under CI=true).
func oldestDaemon(t *testing.T) (*client.Client, string) {
	t.Helper()
	daemon(t) // the registry mirror and the frontend image come with the workbench
	host := os.Getenv("GOIMAGE_OLDEST_BUILDKIT_HOST")
	if host == "" {
		unavailable(t, "GOIMAGE_OLDEST_BUILDKIT_HOST is not set: run hack/dev up oldest (hack/test does)")
	}
	c := connect(t, host)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("the daemon at %s reports no version: %v", host, err)
	}
	if v := info.BuildkitVersion.Version; v != oldestBuildKit {
		t.Fatalf("the daemon at %s is BuildKit %s, want %s", host, v, oldestBuildKit)
	}
	return c, host
}

// TestOldestExamples builds every example on the oldest supported BuildKit through buildctl
// and the `# syntax=` line (multi for two platforms), checks the images and runs them there.
func TestOldestExamples(t *testing.T) {
	c, host := oldestDaemon(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) { buildExample(t, c, host, ex) })
	}
}

// TestOldestFeatures builds, on the oldest supported BuildKit, a generate step (MergeOp and
// DiffOp, checked against the daemon's capabilities), the test target, --target, and through
// docker buildx a two-platform build with the SBOM attestation.
func TestOldestFeatures(t *testing.T) {
	c, _ := oldestDaemon(t)
	t.Run("a generate step", func(t *testing.T) {
		ref := imageRef(t, "generate")
		if _, vs, err := solve(t, c, project(t, "generate"), nil, pushExport(ref)); err != nil {
			t.Fatalf("build: %v\n%s", err, vs.output())
		}
		if out := runImage(t, c, ref); !strings.Contains(out, "generated: Red Green Blue") {
			t.Errorf("running the image printed %q", out)
		}
	})
	t.Run("the test target", func(t *testing.T) {
		_, vs, err := solve(t, c, project(t, "service"), map[string]string{"target": "test"})
		if err != nil {
			t.Fatalf("build: %v\n%s", err, vs.output())
		}
		if vx := vs.get(t, "go test ./... linux/amd64"); vx.Error != "" {
			t.Errorf("go test: %s", vx.Error)
		}
	})
	t.Run("--target", func(t *testing.T) {
		ref := imageRef(t, "service-tool")
		_, vs, err := solve(t, c, project(t, "service"), map[string]string{"target": "tool"}, pushExport(ref))
		if err != nil {
			t.Fatalf("build: %v\n%s", err, vs.output())
		}
		if out := runImage(t, c, ref); !strings.Contains(out, "tool built with the tool tag") {
			t.Errorf("running the image printed %q", out)
		}
	})
	t.Run("docker buildx build --sbom=true, two platforms", func(t *testing.T) {
		dir := example(t, "multi")
		ref := imageRef(t, "multi-sbom")
		mustCommand(t, "docker", "buildx", "build", "--builder", oldestBuilder, "--progress=plain", "--sbom=true",
			"-f", filepath.Join(dir, "Goimagefile"), "--output", pushOutput(ref), dir)
		if _, ok := attestations(t, ref)["https://spdx.dev/Document"]; !ok {
			t.Errorf("no SPDX attestation")
		}
		var got []string
		for _, img := range pulledImages(t, ref) {
			got = append(got, img.Platform)
		}
		if diff := cmp.Diff(got, []string{"linux/amd64", "linux/arm64"}); diff != "" {
			t.Errorf("platforms (-got +want):\n%s", diff)
		}
	})
}
