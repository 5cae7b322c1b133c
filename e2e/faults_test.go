package e2e

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/goimage/goimage/internal/workbench"
	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"
)

var faults = flag.Bool("goimage.faults", false, "run the fault tests (a buildkitd killed mid-build, pruned cache mounts)")

// TestModuleProxyUnreachable checks the error of a download whose proxy is down: it names the
// module and points at the Goimagefile.
func TestModuleProxyUnreachable(t *testing.T) {
	c := daemon(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "Goimagefile"), "# syntax=goimage/frontend:1\nversion: 1\nmain: .\ngoproxy: https://127.0.0.1:9\n")
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26\n\nrequire example.com/unreachable v1.0.0\n")
	write(t, filepath.Join(dir, "main.go"), "package main\n\nimport _ \"example.com/unreachable\"\n\nfunc main() {}\n")
	_, vs, err := solve(t, c, dir, nil)
	if err == nil {
		t.Fatalf("a build with the proxy down succeeded:\n%s", vs.output())
	}
	msg := err.Error() + vs.output()
	if !strings.Contains(msg, "example.com/unreachable@v1.0.0") || !strings.Contains(msg, "127.0.0.1:9") {
		t.Errorf("the error does not name the module and the proxy: %v\n%s", err, vs.output())
	}
	if !hasSourceLine(err, 2) {
		t.Errorf("the error does not point at the Goimagefile: %v", err)
	}
}

// snapshotIDReused is containerd's overlay snapshotter's error when a crash left a snapshot
// directory under an id its database never committed: "failed to rename: rename
// .../snapshots/new-NNN .../snapshots/29: file exists".
var snapshotIDReused = regexp.MustCompile(`failed to rename: rename \S+/snapshots/new-\d+ \S+/snapshots/\d+: file exists`)

// TestFaults (opt-in with -goimage.faults; always under CI=true) kills a buildkitd in the
// middle of a module compile, restarts it on the same root and builds again; then
// prunes its cache mounts and builds after an edit. Each build after a fault must give a
// correct image.
func TestFaults(t *testing.T) {
	if !*faults && !testenv.CI() {
		t.Skip("opt-in outside CI: go test ./e2e -run TestFaults -goimage.faults")
	}
	main := daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := filepath.Join(t.TempDir(), "daemon")
	d, err := workbench.StartDaemon(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(ctx, d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := example(t, "deps")

	// A build killed when a module compile starts.
	killed := make(chan struct{})
	done := make(chan error, 1)
	ch := make(chan *client.SolveStatus)
	go func() {
		fs, _ := fsutil.NewFS(dir)
		_, err := c.Solve(ctx, nil, client.SolveOpt{
			Frontend:      "dockerfile.v0",
			FrontendAttrs: map[string]string{"filename": "Goimagefile"},
			LocalMounts:   map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		}, ch)
		done <- err
	}()
	for s := range ch {
		for _, v := range s.Vertexes {
			if strings.HasPrefix(v.Name, "compile github.com/") && v.Started != nil && v.Completed == nil {
				select {
				case <-killed:
				default:
					if err := d.Kill(); err != nil {
						t.Error(err)
					}
					close(killed)
				}
			}
		}
	}
	if err := <-done; err == nil {
		t.Fatal("the build survived its daemon's death: the kill came too late to test anything")
	}
	c.Close()

	d, err = workbench.StartDaemon(ctx, root)
	if err != nil {
		t.Fatalf("restart on the same root: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	if c, err = client.New(ctx, d.Addr); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	build := func(what, version string) {
		t.Helper()
		ref := imageRef(t, "faults-"+version)
		_, vs, err := solve(t, c, dir, map[string]string{"build-arg:VERSION": version}, pushExport(ref))
		if err != nil && snapshotIDReused.MatchString(err.Error()) {
			// containerd's overlay snapshotter, killed between renaming a snapshot's
			// directory into place and committing its id, hands that id out again after the
			// restart. A prune runs its cleanup of directories it has no record of, as
			// `buildctl prune` does for a user; goimage's build must then succeed.
			t.Logf("%s: %v; pruning, as the README says to", what, err)
			if err := c.Prune(ctx, nil, client.PruneAll); err != nil {
				t.Fatalf("prune: %v", err)
			}
			_, vs, err = solve(t, c, dir, map[string]string{"build-arg:VERSION": version}, pushExport(ref))
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, vs.output())
		}
		if out := runImage(t, main, ref); !strings.Contains(out, "deps "+version+": uuid") {
			t.Errorf("%s: the image printed %q", what, out)
		}
	}
	build("the build after the restart", "restarted")

	// Cache mounts pruned: the next build compiles again, from the layers, and is correct.
	usage, err := c.DiskUsage(ctx, client.WithFilter([]string{"type==exec.cachemount"}))
	if err != nil || len(usage) == 0 {
		t.Fatalf("cache mounts before the prune: %d, %v", len(usage), err)
	}
	if err := c.Prune(ctx, nil, client.WithFilter([]string{"type==exec.cachemount"})); err != nil {
		t.Fatalf("prune the cache mounts: %v", err)
	}
	if usage, _ = c.DiskUsage(ctx, client.WithFilter([]string{"type==exec.cachemount"})); len(usage) != 0 {
		t.Fatalf("%d cache mounts left after the prune", len(usage))
	}
	appendEdit(t, filepath.Join(dir, "main.go"))
	build("the build after the cache mounts were pruned", fmt.Sprintf("pruned%d", time.Now().Unix()%1000))
}
