package e2e

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/workbench"
	"github.com/moby/buildkit/client"
)

// imageDigest builds dir on c with attrs into an image the daemon keeps unpushed, and
// returns its digest: the manifest's, or the index's for several platforms.
func imageDigest(t *testing.T, c *client.Client, dir string, attrs map[string]string) string {
	t.Helper()
	resp, vs, err := solve(t, c, dir, attrs, client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}})
	if err != nil {
		t.Errorf("build %s: %v\n%s", dir, err, vs.output())
		return ""
	}
	d := resp.ExporterResponse["containerimage.digest"]
	if d == "" {
		t.Errorf("build %s: no image digest in %v", dir, resp.ExporterResponse)
	}
	return d
}

// TestReproducibleOnFreshRoots builds the same tree with the same SOURCE_DATE_EPOCH on two
// buildkitd with fresh roots, for one and for two platforms: the digests must be equal.
func TestReproducibleOnFreshRoots(t *testing.T) {
	daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var clients []*client.Client
	for i := range 2 {
		d, err := workbench.StartDaemon(ctx, t.TempDir())
		if err != nil {
			t.Fatalf("buildkitd %d: %v", i, err)
		}
		t.Cleanup(func() {
			if err := d.Stop(); err != nil {
				t.Error(err)
			}
		})
		c, err := client.New(ctx, d.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	dir := example(t, "deps")
	for _, platforms := range []string{"linux/amd64", "linux/amd64,linux/arm64"} {
		attrs := map[string]string{"platform": platforms, "build-arg:SOURCE_DATE_EPOCH": "1700000000", "build-arg:VERSION": "1.0.0"}
		first := imageDigest(t, clients[0], dir, attrs)
		second := imageDigest(t, clients[1], dir, attrs)
		if first == "" || first != second {
			t.Errorf("%s: digests %q and %q on two fresh roots, want one", platforms, first, second)
		}
	}
}

// TestConcurrentBuilds runs eight builds at once on one daemon, sharing its cache mounts:
// four of one project, four of the others. All must succeed, and builds of the same inputs
// must give the digest a build on its own gives.
func TestConcurrentBuilds(t *testing.T) {
	c := daemon(t)
	type build struct {
		name  string
		dir   string
		attrs map[string]string
	}
	// A version never built before makes the deps builds compile and link for real.
	version := "load-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var builds []build
	for i := range 4 {
		builds = append(builds, build{name: "deps", dir: example(t, "deps"), attrs: map[string]string{"build-arg:VERSION": version}})
		other := []string{"hello", "multi"}[i%2]
		builds = append(builds, build{name: other, dir: example(t, other), attrs: map[string]string{}})
	}
	// A version only the first deps build has: its digest must differ from the others'. (An
	// appended unused function would not do: the linker drops it, and the digest stays.)
	builds[0].attrs = map[string]string{"build-arg:VERSION": version + "-other"}

	digests := make([]string, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			digests[i] = imageDigest(t, c, b.dir, b.attrs)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	alone := map[string]string{}
	for _, i := range []int{1, 2, 3} { // one build of each unedited project, on its own
		alone[builds[i].name] = imageDigest(t, c, builds[i].dir, builds[i].attrs)
	}
	for i, b := range builds {
		want := alone[b.name]
		if i == 0 {
			if digests[0] == alone["deps"] {
				t.Errorf("the deps build of another version has the same digest %s", digests[0])
			}
			continue
		}
		if digests[i] != want {
			t.Errorf("build %d (%s): digest %s concurrently, %s alone", i, b.name, digests[i], want)
		}
	}
	t.Logf("%d concurrent builds, digests %v", len(builds), digests)
}

// TestInertSpecValues feeds shell metacharacters, newlines-free flag lookalikes and quotes
// through a build arg into ldflags and through env into the build: the binary must carry
// them as plain text, and no command they spell may have run.
func TestInertSpecValues(t *testing.T) {
	c := daemon(t)
	dir := example(t, "deps")
	write(t, filepath.Join(dir, "Goimagefile"), "# syntax=goimage/frontend:1\nversion: 1\nbinaries:\n  - name: deps\n    main: .\n"+
		"    ldflags: [\"-X main.version=${VERSION}\"]\nenv:\n  EVIL: \"$(touch /tmp/goimage-pwned-env); `touch /tmp/goimage-pwned-env2`\"\nbase: distroless\n")
	version := `1.0'; touch /tmp/goimage-pwned; echo -o=/etc/passwd $(id) --help`
	ref := imageRef(t, "inert")
	_, vs, err := solve(t, c, dir, map[string]string{"build-arg:VERSION": version}, pushExport(ref))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, vs.output())
	}
	out := runImage(t, c, ref)
	if want := "deps " + version + ": uuid"; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want it to contain %q", out, want)
	}
	// A value holding both kinds of quote cannot be one word of the go command's -ldflags:
	// the build stops at the field instead of changing the value.
	_, vs, err = solve(t, c, dir, map[string]string{"build-arg:VERSION": `1.0'"`})
	if err == nil || !strings.Contains(err.Error(), "binaries[0].ldflags[0]") {
		t.Errorf("a build arg with both kinds of quote: %v, want an error at binaries[0].ldflags[0]\n%s", err, vs.output())
	}

	// In the test target, a test sees the env value verbatim and no file a shell would have
	// made from it: the go test step ran the go command directly.
	write(t, filepath.Join(dir, "inert_test.go"), "package main\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\n"+
		"func TestInert(t *testing.T) {\n"+
		"\tif got, want := os.Getenv(\"EVIL\"), \"$(touch /tmp/goimage-pwned-env); `touch /tmp/goimage-pwned-env2`\"; got != want {\n\t\tt.Errorf(\"EVIL = %q, want %q\", got, want)\n\t}\n"+
		"\tfor _, f := range []string{\"/tmp/goimage-pwned-env\", \"/tmp/goimage-pwned-env2\"} {\n\t\tif _, err := os.Stat(f); err == nil {\n\t\t\tt.Errorf(\"%s exists: a spec value ran\", f)\n\t\t}\n\t}\n}\n")
	appendEdit(t, filepath.Join(dir, "main.go")) // never a cached test result
	if _, vs, err := solve(t, c, dir, map[string]string{"target": "test"}); err != nil {
		t.Errorf("the test target: %v\n%s", err, vs.output())
	}
}
