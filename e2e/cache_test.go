package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/workbench"
	"github.com/moby/buildkit/client"
)

// moduleCompiles are the module compile steps of examples/deps.
var moduleCompiles = []string{"compile github.com/google/uuid for . linux/amd64", "compile github.com/spf13/pflag for . linux/amd64"}

// depsList is the list step of examples/deps.
const depsList = "list the dependencies of . linux/amd64"

// TestEditKeepsDownloadCached rebuilds after a one-file edit: the module downloads, keyed on
// go.sum, the list, keyed on the imports (the frontend reads them), and the dependency cache
// must come from the cache, and only go build runs again. A second edit adds an import: the
// list runs again.
func TestEditKeepsDownloadCached(t *testing.T) {
	c := daemon(t)
	dir := example(t, "deps")
	_, first, err := solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	// Through the syntax line, the frontend mounts goimage-helper from its own image.
	if first.has("[internal] build goimage-helper") {
		t.Error("the graph builds goimage-helper: want the frontend image's prebuilt one")
	}
	appendEdit(t, filepath.Join(dir, "main.go"))
	_, steps, err := solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("build after the edit: %v", err)
	}
	// A step per module version: examples/deps requires two.
	modules := []string{"download github.com/google/uuid@v1.6.0", "download github.com/spf13/pflag@v1.0.6"}
	if got := first.prefixed("download "); !slices.Equal(got, modules) {
		t.Errorf("module download steps %q, want %q", got, modules)
	}
	for _, name := range append(append(modules, moduleCompiles...), depsList) {
		if !steps.get(t, name).Cached {
			t.Errorf("%q ran again after a .go file edit: want it cached", name)
		}
	}
	if steps.get(t, "go build . linux/amd64").Cached {
		t.Error("go build was cached after a .go file edit: want it to run")
	}

	// The comment makes the header new to the daemon, whatever an earlier run built.
	extra := fmt.Sprintf("// %d\n\npackage main\n\nimport \"net/url\"\n\nfunc init() { _ = url.PathEscape(\"x\") }\n", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(dir, "extra.go"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	_, steps, err = solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("build after the import: %v", err)
	}
	for _, name := range []string{depsList, "go build . linux/amd64"} {
		if steps.get(t, name).Cached {
			t.Errorf("%q was cached after a new import: want it to run", name)
		}
	}
}

// TestEditBuildsItsBinaryAlone edits the server of examples/multi: the go build of the
// client, whose packages the edit left alone, stays cached.
func TestEditBuildsItsBinaryAlone(t *testing.T) {
	c := daemon(t)
	dir := example(t, "multi")
	attrs := map[string]string{"platform": "linux/amd64"}
	if _, _, err := solve(t, c, dir, attrs); err != nil {
		t.Fatalf("first build: %v", err)
	}
	appendEdit(t, filepath.Join(dir, "cmd", "server", "main.go"))
	_, steps, err := solve(t, c, dir, attrs)
	if err != nil {
		t.Fatalf("build after the edit: %v", err)
	}
	if !steps.get(t, "go build ./cmd/client linux/amd64").Cached {
		t.Error("the client's go build ran after an edit of the server: want it cached")
	}
	if steps.get(t, "go build ./cmd/server linux/amd64").Cached {
		t.Error("the server's go build was cached after its edit: want it to run")
	}
}

// TestGoModChangeKeepsDependencyCompile changes go.mod twice, as Dependabot does: a module
// that no package of the build imports is added (a test or tool dependency), then a module
// the build imports is moved to another version. The first leaves every module compile step
// and go build as they were, and the image the same; the second compiles the moved module
// again, and no other, and runs go build.
//
// It runs on a buildkitd of its own: on the shared one, an earlier run may have built the
// states it moves to, and then their steps would rightly be cache hits.
func TestGoModChangeKeepsDependencyCompile(t *testing.T) {
	daemon(t) // the workbench, whose registry the fresh daemon pulls from
	c := freshDaemon(t)
	dir := example(t, "deps")
	image := client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}}
	first, _, err := solve(t, c, dir, nil, image)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	uuid, pflag := moduleCompiles[0], moduleCompiles[1]
	goGet(t, dir, "github.com/google/go-cmp@v0.6.0")
	added, steps, err := solve(t, c, dir, nil, image)
	if err != nil {
		t.Fatalf("build after adding a module nothing imports: %v", err)
	}
	before, after := first.ExporterResponse["containerimage.digest"], added.ExporterResponse["containerimage.digest"]
	if before == "" || after != before {
		t.Errorf("image %q after adding a module nothing imports, want %q as before", after, before)
	}
	// Only the added module downloads: the other modules' layers are keyed on their own
	// go.sum lines.
	for name, cached := range map[string]bool{
		"download github.com/google/go-cmp@v0.6.0": false,
		"download github.com/google/uuid@v1.6.0":   true,
		"download github.com/spf13/pflag@v1.0.6":   true,
		uuid:                                       true,
		pflag:                                      true,
		"go build . linux/amd64":                   true,
	} {
		if got := steps.get(t, name).Cached; got != cached {
			t.Errorf("after adding a module nothing imports, %q cached = %v, want %v", name, got, cached)
		}
	}
	goGet(t, dir, "github.com/google/uuid@v1.5.0")
	_, steps, err = solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("build after moving an imported module: %v", err)
	}
	for name, cached := range map[string]bool{
		"download github.com/google/uuid@v1.5.0":   false,
		"download github.com/google/go-cmp@v0.6.0": true,
		"download github.com/spf13/pflag@v1.0.6":   true,
		uuid:                                       false,
		pflag:                                      true,
		"go build . linux/amd64":                   false,
	} {
		if got := steps.get(t, name).Cached; got != cached {
			t.Errorf("after moving an imported module to another version, %q cached = %v, want %v", name, got, cached)
		}
	}
}

// TestGoModChangeStdOnly adds a module to a project whose packages import the standard
// library alone: the list reads no requirement and no module cache, so nothing downloads the
// module, every step is a cache hit and the image is the same.
func TestGoModChangeStdOnly(t *testing.T) {
	c := daemon(t)
	dir := example(t, "hello")
	image := client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}}
	first, _, err := solve(t, c, dir, nil, image)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	goGet(t, dir, "github.com/google/go-cmp@v0.6.0")
	added, steps, err := solve(t, c, dir, nil, image)
	if err != nil {
		t.Fatalf("build after adding a module: %v", err)
	}
	if before, after := first.ExporterResponse["containerimage.digest"], added.ExporterResponse["containerimage.digest"]; before == "" || after != before {
		t.Errorf("image %q after adding a module, want %q as before", after, before)
	}
	if steps.has("download github.com/google/go-cmp@v0.6.0") {
		t.Error("the build downloaded the module nothing imports")
	}
	for _, name := range []string{"list the dependencies of . linux/amd64", "go build . linux/amd64"} {
		if !steps.get(t, name).Cached {
			t.Errorf("%q ran after adding a module nothing imports: want it cached", name)
		}
	}
}

// goGet runs go get in a module on the host, as a developer would, updating go.mod and go.sum.
func goGet(t *testing.T, dir, module string) {
	t.Helper()
	cmd := exec.Command("go", "get", module)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go get %s: %v\n%s", module, err, out)
	}
}

// freshDaemon is a client of a buildkitd with an empty root of its own, stopped at the
// test's end.
func freshDaemon(t *testing.T) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fresh, err := workbench.StartDaemon(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("fresh buildkitd: %v", err)
	}
	t.Cleanup(func() {
		if err := fresh.Stop(); err != nil {
			t.Error(err)
		}
	})
	fc, err := client.New(context.Background(), fresh.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fc.Close() })
	return fc
}

// TestColdBuildReadsStdlib is a first build on a builder with an empty root and no cache to
// import: the standard library step takes the packages from the standard library image next
// to the frontend's (the Dockerfile's target stdlib, which hack/dev pushes) instead of
// compiling them, and the image is right.
func TestColdBuildReadsStdlib(t *testing.T) {
	c := daemon(t)
	fc := freshDaemon(t)
	dir := example(t, "hello")
	ref := imageRef(t, "hello-cold")
	_, steps, err := solve(t, fc, dir, nil, pushExport(ref))
	if err != nil {
		t.Fatalf("cold build: %v\n%s", err, steps.output())
	}
	if names := steps.prefixed("[internal] the standard library of Go "); len(names) != 1 {
		t.Errorf("standard library images %q, want one", names)
	}
	// On an empty root, the layers can hold only what the image brought.
	readStdlibAhead(t, steps, "linux/amd64")
	if out, want := runImage(t, c, ref), "hello from goimage: linux/amd64"; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want %q", out, want)
	}
}

// readStdlibAhead checks that the standard library step for platform read packages compiled
// ahead, which on an empty root only the standard library image can have brought.
func readStdlibAhead(t *testing.T, steps *vertices, platform string) {
	t.Helper()
	report := steps.printedBy(t, "compile the standard library of . "+platform)
	m := buildCacheReport.FindStringSubmatch(report)
	if m == nil || m[1] == "0" {
		t.Errorf("the standard library step read nothing compiled ahead:\n%s", report)
	}
}

// TestFreshBuilderImportsCache is CI's case: a builder with an empty root imports the registry
// cache of an earlier build and builds after an edit. Modules and compiled dependencies come
// from the cache, as layers; only the main module compiles.
func TestFreshBuilderImportsCache(t *testing.T) {
	c := daemon(t)
	dir := example(t, "deps")
	cacheRef := mirror + "/goimage-e2e/cache:" + tagUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	buildArgs := []string{"--opt", "build-arg:VERSION=4.5.6"}
	buildctlSyntax(t, dir, imageRef(t, "deps-main"),
		append(buildArgs, "--export-cache", "type=registry,mode=max,ref="+cacheRef)...)
	appendEdit(t, filepath.Join(dir, "main.go"))

	fc := freshDaemon(t)
	ref := imageRef(t, "deps-fresh")
	_, steps, err := solveOpt(t, fc, dir, map[string]string{"build-arg:VERSION": "4.5.6"}, client.SolveOpt{
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": cacheRef}}},
		Exports:      []client.ExportEntry{pushExport(ref)},
	})
	if err != nil {
		t.Fatalf("build on the fresh builder: %v", err)
	}
	for _, name := range []string{"download github.com/google/uuid@v1.6.0", "download github.com/spf13/pflag@v1.0.6"} {
		if steps.ran(t, name) {
			t.Errorf("%q ran on the fresh builder: want it from the imported cache", name)
		}
	}
	// A module compile step always prints its build cache report, so it ran if it printed.
	for _, name := range moduleCompiles {
		if steps.ran(t, name) {
			t.Errorf("%q ran on the fresh builder: want it from the imported cache", name)
		}
	}
	if steps.reused(t, "go build . linux/amd64") {
		t.Error("go build was cached after an edit: want it to run")
	}
	// The edit changed no import: the frontend reads the dependency graph from the cache.
	if !steps.reused(t, depsList) {
		t.Errorf("%q ran on the fresh builder: want it from the imported cache", depsList)
	}
	if out, want := runImage(t, c, ref), "deps 4.5.6: uuid"; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want %q", out, want)
	}
}

// TestFreshBuilderAfterBump is a Dependabot pull request on CI: a builder with an empty root
// imports the registry cache of the last build and builds after a one-step bump of a module
// the build imports (github.com/spf13/pflag v1.0.6 -> v1.0.7, as hack/bench-bumps pins for
// the bench's ci-gomod). Only the bumped module downloads and compiles, the standard library
// and the other module stay compiled, and the builder image is never pulled.
func TestFreshBuilderAfterBump(t *testing.T) {
	c := daemon(t)
	dir := example(t, "deps")
	cacheRef := mirror + "/goimage-e2e/cache:" + tagUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	buildctlSyntax(t, dir, imageRef(t, "deps-main"), "--export-cache", "type=registry,mode=max,ref="+cacheRef)
	goGet(t, dir, "github.com/spf13/pflag@v1.0.7")

	fc := freshDaemon(t)
	ref := imageRef(t, "deps-bumped")
	_, steps, err := solveOpt(t, fc, dir, nil, client.SolveOpt{
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": cacheRef}}},
		Exports:      []client.ExportEntry{pushExport(ref)},
	})
	if err != nil {
		t.Fatalf("build on the fresh builder: %v", err)
	}
	// goimage-helper fetch always prints, so a download step ran if it printed.
	for name, wantRun := range map[string]bool{
		"download github.com/spf13/pflag@v1.0.7": true,
		"download github.com/google/uuid@v1.6.0": false,
		// go get leaves pflag v1.0.6's lines in go.sum; go.mod no longer requires it, so
		// only its go.mod is fetched, with the other versions named by their go.mod.
		"download the go.mod of github.com/spf13/pflag@v1.0.6": true,
	} {
		if ran := steps.ran(t, name); ran != wantRun {
			t.Errorf("after the bump on a fresh builder, %q ran = %v, want %v", name, ran, wantRun)
		}
	}
	if steps.has("download github.com/spf13/pflag@v1.0.6") {
		t.Error("the build downloads pflag v1.0.6, which go.mod no longer requires")
	}
	if !steps.reused(t, "compile the standard library of . linux/amd64") {
		t.Error("the standard library compiled again on the fresh builder: want it from the imported cache")
	}
	// A compile step always prints its build cache report, so it ran if it printed.
	for name, wantRun := range map[string]bool{
		moduleCompiles[1]:        true,
		"go build . linux/amd64": true,
		moduleCompiles[0]:        false, // uuid: the bump is pflag's
	} {
		if ran := steps.ran(t, name); ran != wantRun {
			t.Errorf("after the bump on a fresh builder, %q ran = %v, want %v", name, ran, wantRun)
		}
	}
	if steps.has("go mod download") {
		t.Error("the build has a go mod download step: want a download step per module")
	}
	for _, name := range steps.prefixed("docker-image://") {
		if strings.Contains(name, "/golang:") && steps.pulled(t, name) {
			t.Errorf("the fresh builder pulled the builder image (%s): want only the toolchain layer", name)
		}
	}
	if out, want := runImage(t, c, ref), "deps : uuid"; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want %q", out, want)
	}
}

// buildCacheReport matches the report of a compile step's cache program (goimage-helper
// cacheprog -stats).
var buildCacheReport = regexp.MustCompile(`build cache: (\d+) entries from the dependency layers, (\d+) from the cache mount, (\d+) missed`)

// missed is how many build cache entries the step named name missed, from its report.
func missed(t *testing.T, steps *vertices, name string) int {
	t.Helper()
	m := buildCacheReport.FindStringSubmatch(steps.printedBy(t, name))
	if m == nil {
		t.Fatalf("%q printed no build cache report:\n%s", name, steps.printedBy(t, name))
	}
	n, _ := strconv.Atoi(m[3])
	return n
}

// TestFreshBuilderCompilesMainPackageAlone is CI's edit of a main package whose binary imports
// packages of its own module (testdata/projects/service's api imports internal/greet), with
// ephemeral builders: one builds the main branch and exports its cache, another imports it
// and builds the edit. The libraries' step comes from the cache, and go build compiles no
// more than the main branch's go build did, which had the libraries' layer at hand: the
// main package alone. (TestLibrariesActionIDs checks with the go command itself that the
// layer holds what go build looks up.)
func TestFreshBuilderCompilesMainPackageAlone(t *testing.T) {
	c := daemon(t)
	dir := project(t, "service")
	cacheRef := mirror + "/goimage-e2e/cache:" + tagUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	const libs, goBuild = "compile the packages ./cmd/api imports linux/amd64", "go build ./cmd/api linux/amd64"
	attrs := map[string]string{"target": "api", "build-arg:VERSION": "3.1"}

	_, main, err := solveOpt(t, freshDaemon(t), dir, attrs, client.SolveOpt{
		CacheExports: []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": cacheRef, "mode": "max"}}},
	})
	if err != nil {
		t.Fatalf("build of the main branch on a fresh builder: %v", err)
	}
	if n := missed(t, main, libs); n == 0 {
		t.Fatalf("%q compiled nothing on a fresh builder", libs)
	}
	before := missed(t, main, goBuild)

	appendEdit(t, filepath.Join(dir, "cmd", "api", "main.go"))
	ref := imageRef(t, "service-edited")
	_, edited, err := solveOpt(t, freshDaemon(t), dir, attrs, client.SolveOpt{
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": cacheRef}}},
		Exports:      []client.ExportEntry{pushExport(ref)},
	})
	if err != nil {
		t.Fatalf("build of the edit on a fresh builder: %v", err)
	}
	if !edited.reused(t, libs) {
		t.Errorf("%q ran after an edit of the main package: want it from the imported cache", libs)
	}
	if !edited.ran(t, goBuild) {
		t.Errorf("%q did not run after an edit of the main package", goBuild)
	}
	after := missed(t, edited, goBuild)
	t.Logf("go build missed %d build cache entries on the main branch, %d after the edit", before, after)
	if after > before {
		t.Errorf("go build missed %d build cache entries after the edit, the main branch's %d: it compiled libraries", after, before)
	}
	if out, want := runImage(t, c, ref), "version=3.1"; !strings.Contains(out, want) {
		t.Errorf("running the image printed %q, want %q", out, want)
	}
}

// TestNoCache rebuilds an unchanged example with --no-cache (the no-cache frontend option
// buildx and buildctl send): every step runs again, where without it every step is cached.
func TestNoCache(t *testing.T) {
	c := daemon(t)
	dir := example(t, "hello")
	if _, _, err := solve(t, c, dir, nil); err != nil {
		t.Fatalf("first build: %v", err)
	}
	steps := []string{"list the dependencies of . linux/amd64", "go build . linux/amd64"}
	for _, tt := range []struct {
		desc    string
		attrs   map[string]string
		wantRun bool
	}{
		{"again", nil, false},
		{"with --no-cache", map[string]string{"no-cache": ""}, true},
	} {
		_, vs, err := solve(t, c, dir, tt.attrs)
		if err != nil {
			t.Fatalf("build %s: %v", tt.desc, err)
		}
		for _, name := range steps {
			if ran := !vs.reused(t, name); ran != tt.wantRun {
				t.Errorf("build %s: %q ran = %v, want %v", tt.desc, name, ran, tt.wantRun)
			}
		}
	}
}
