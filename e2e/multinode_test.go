package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/workbench"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client"
)

// TestMultiNodeBuilder scales out the way buildx does: a builder of two nodes (remote driver,
// two buildkitd with separate roots), the second declared linux/arm64, sharing one registry
// cache. A two-platform build sends each platform to its node; the arm64 node is an amd64
// machine without emulation, which works because goimage cross-compiles and never runs
// target-architecture code.
func TestMultiNodeBuilder(t *testing.T) {
	c := daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	arm, err := workbench.StartDaemon(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("second buildkitd: %v", err)
	}
	t.Cleanup(func() {
		if err := arm.Stop(); err != nil {
			t.Error(err)
		}
	})
	name := "goimage-e2e-multinode"
	command(t, "docker", "buildx", "rm", name) // left over from an interrupted run, if any
	mustCommand(t, "docker", "buildx", "create", "--name", name, "--driver", "remote",
		"--platform", "linux/amd64", "--node", name+"-amd64", os.Getenv("BUILDKIT_HOST"))
	t.Cleanup(func() { command(t, "docker", "buildx", "rm", name) })
	mustCommand(t, "docker", "buildx", "create", "--append", "--name", name, "--driver", "remote",
		"--platform", "linux/arm64", "--node", name+"-arm64", arm.Addr)

	dir := example(t, "multi")
	ref := imageRef(t, "multi")
	// A cache of its own per run: a result imported from an older run's cache would not be
	// kept on the node, and the check below reads the node's own cache.
	cacheRef := mirror + "/goimage-e2e/cache:multinode-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	out := mustCommand(t, "docker", "buildx", "build", "--builder", name, "--progress=plain", "--provenance=false",
		"--platform", "linux/amd64,linux/arm64", "-f", filepath.Join(dir, "Goimagefile"),
		"--cache-to", "type=registry,mode=max,ref="+cacheRef, "--cache-from", "type=registry,ref="+cacheRef,
		"--output", pushOutput(ref), dir)

	var got []string
	for _, img := range pulledImages(t, ref) {
		got = append(got, img.Platform)
		checkImage(t, examples[2], img)
	}
	if diff := cmp.Diff(got, []string{"linux/amd64", "linux/arm64"}); diff != "" {
		t.Errorf("platforms (-got +want):\n%s", diff)
	}
	// Each node built its own platform: on the arm64 node, the arm64 compile is a local
	// cache hit and the amd64 one is not.
	ac, err := client.New(ctx, arm.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	for _, tc := range []struct {
		platform string
		built    bool
	}{{"linux/arm64", true}, {"linux/amd64", false}} {
		_, steps, err := solve(t, ac, dir, map[string]string{"platform": tc.platform})
		if err != nil {
			t.Fatalf("build %s on the arm64 node: %v", tc.platform, err)
		}
		if got := steps.get(t, "go build ./cmd/server "+tc.platform).Cached; got != tc.built {
			t.Errorf("%s on the arm64 node: cached %v, want %v (built there by the multi-node build: %v)", tc.platform, got, tc.built, tc.built)
		}
	}
	if !strings.Contains(out, "linux/arm64") {
		t.Errorf("the build output never names linux/arm64:\n%s", out)
	}
	if out := runImage(t, c, ref); !strings.Contains(out, "server linux/amd64") {
		t.Errorf("running the image printed %q", out)
	}
}
