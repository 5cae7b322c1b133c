package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/tonistiigi/fsutil"
)

// hostileScript zero-fills every output of the shared build cache and plants a tampered zip
// of a module in the shared module-file cache, as a careless or hostile build could.
const hostileScript = `set -e
n=0
# Other builds may be writing the cache meanwhile: a file gone since find is skipped.
for f in $(find /gocache -name '*-d' 2>/dev/null || true); do
	size=$(stat -c %s "$f" 2>/dev/null) || continue
	head -c "$size" /dev/zero > "$f" || continue
	n=$((n+1))
done
echo "zeroed $n outputs"
mkdir -p /modcache/github.com/google/uuid/@v
cp /hostile/tampered.zip /modcache/github.com/google/uuid/@v/v1.6.0.zip
echo planted
`

// corruptSharedCaches runs hostileScript on the daemon in a build of its own that mounts
// goimage's cache ids, sent as LLB: a Dockerfile's cache ids carry a namespace ("/" at the
// least) and never meet goimage's, but any client that sends LLB reaches them.
func corruptSharedCaches(t *testing.T, c *client.Client, tampered []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tampered.zip"), tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	// A nonce, not llb.IgnoreCache, makes it run every time: BuildKit gives a step that
	// ignores the cache new, empty cache mounts.
	run := llb.Image("golang:1.26").Run(llb.Args([]string{"sh", "-c", hostileScript}),
		llb.AddEnv("NONCE", strconv.FormatInt(time.Now().UnixNano(), 10)))
	run.AddMount("/hostile", llb.Local("hostile"), llb.Readonly)
	run.AddMount("/gocache", llb.Scratch(), llb.AsPersistentCacheDir("goimage-gocache", llb.CacheMountShared))
	run.AddMount("/modcache", llb.Scratch(), llb.AsPersistentCacheDir("goimage-modcache", llb.CacheMountShared))
	def, err := run.Root().Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	local, err := fsutil.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ch := make(chan *client.SolveStatus)
	vs := newVertices()
	done := make(chan struct{})
	go func() { vs.collect(ch); close(done) }()
	_, err = c.Solve(ctx, def, client.SolveOpt{LocalMounts: map[string]fsutil.FS{"hostile": local}}, ch)
	<-done
	if err != nil {
		t.Fatalf("the hostile build: %v\n%s", err, vs.output())
	}
	return vs.output()
}

// TestSharedBuilderHostileCaches builds examples/deps, lets a hostile build on the same
// daemon corrupt both shared caches (corruptSharedCaches), and builds it again: it succeeds
// with the digest the first build gave. Each build first gets a go.mod comment never seen
// before, so that go build runs and uses the build cache (--no-cache would give it an empty
// one); the comment changes nothing in the binary. The module layers are keyed on go.sum,
// which the comment leaves alone, so before the second build the daemon's build cache is
// pruned, its cache mounts kept: the module downloads run again and read the corrupted
// module cache. That prune is why the test has a buildkitd of its own.
func TestSharedBuilderHostileCaches(t *testing.T) {
	daemon(t) // the workbench, whose registry the fresh daemon pulls from
	c := freshDaemon(t)
	dir := example(t, "deps")
	attrs := map[string]string{"build-arg:VERSION": "1.0.0"}
	build := func(what string) string {
		t.Helper()
		commentGoMod(t, filepath.Join(dir, "go.mod"))
		resp, vs, err := solve(t, c, dir, attrs, client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}})
		if err != nil {
			t.Fatalf("the %s build: %v\n%s", what, err, vs.output())
		}
		for _, step := range []string{"download github.com/google/uuid@v1.6.0", "go build . linux/amd64"} {
			if vs.reused(t, step) {
				t.Fatalf("the %s build reused %q: it never read the caches", what, step)
			}
		}
		return resp.ExporterResponse["containerimage.digest"]
	}
	before := build("first")

	out := corruptSharedCaches(t, c, tamperedZip(t, "github.com/google/uuid@v1.6.0", "uuid.go"))
	zeroed := 0
	if m := regexp.MustCompile(`zeroed (\d+) outputs`).FindStringSubmatch(out); m != nil {
		zeroed, _ = strconv.Atoi(m[1])
	}
	if zeroed < 10 || !strings.Contains(out, "planted") {
		t.Fatalf("the hostile build did not corrupt the caches:\n%s", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Prune(ctx, nil, client.WithFilter([]string{"type==regular"})); err != nil {
		t.Fatalf("prune the build cache: %v", err)
	}
	if after := build("second"); after != before {
		t.Errorf("after the hostile build the image is %s, want %s as before", after, before)
	}
	// The test target's go test reads the same caches (the go command's own cache would
	// take a zeroed module index for the standard library's).
	if _, vs, err := solve(t, c, dir, map[string]string{"target": "test"}); err != nil {
		t.Errorf("the test target after the hostile build: %v\n%s", err, vs.output())
	}
}

// commentGoMod appends a comment to a go.mod that no build has seen.
func commentGoMod(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\n// build %d\n", time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
}

// tamperedZip is the module zip of mod (path@version) from the module proxy, with one
// file's contents changed: a zip the go command reads, but not the one go.sum names.
func tamperedZip(t *testing.T, mod, file string) []byte {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-modcacherw", "GOMODCACHE="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", mod, err)
	}
	var dl struct{ Zip string }
	if err := json.Unmarshal(out, &dl); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dl.Zip)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	changed := false
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
		if strings.HasSuffix(f.Name, "/"+file) {
			io.WriteString(w, "\nfunc init() { panic(\"tampered\") }\n")
			changed = true
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatalf("%s has no %s", mod, file)
	}
	return buf.Bytes()
}
