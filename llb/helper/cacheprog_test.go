package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cacheProgEnv is the environment entry that makes the go command use the helper's cache program.
func cacheProgEnv(bin string, args ...string) string {
	return "GOCACHEPROG=" + bin + " cacheprog " + strings.Join(args, " ")
}

// build runs go build -v of the module in dir and returns the packages it compiled.
func build(t *testing.T, dir string, env ...string) string {
	t.Helper()
	return goCmd(t, dir, env, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
}

// TestCacheprogLayers checks the point of the cache program: a build with -out leaves a
// directory that, read-only, lets a build with an empty cache compile nothing.
func TestCacheprogLayers(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	layer := t.TempDir()
	prog := func(args ...string) string { return cacheProgEnv(bin, args...) }

	first := goCmd(t, dir, []string{prog("-dir", t.TempDir(), "-out", layer)}, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
	for _, pkg := range []string{"strings", "example.com/m/lib"} {
		if !strings.Contains(first, pkg+"\n") {
			t.Errorf("a cold build compiles %s; go build -v printed:\n%s", pkg, first)
		}
	}
	second := goCmd(t, dir, []string{prog("-dir", t.TempDir(), "-ro", layer)}, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
	if strings.TrimSpace(second) != "" {
		t.Errorf("a build reading the layer compiled:\n%s", second)
	}
	// Without the layer, the same build compiles again: the check above can fail.
	third := goCmd(t, dir, []string{prog("-dir", t.TempDir())}, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
	if !strings.Contains(third, "strings\n") {
		t.Errorf("a build with an empty cache did not compile strings:\n%s", third)
	}
}

// TestCacheprogLayersStack checks layers made on top of each other, as the standard library
// and dependency layers are: the upper one holds only what its own step compiled, and the
// two together give a build with an empty cache nothing to compile.
func TestCacheprogLayersStack(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	lower, upper := t.TempDir(), t.TempDir()
	goCmd(t, dir, []string{cacheProgEnv(bin, "-dir", t.TempDir(), "-out", lower)}, "build", "-trimpath", "-o", os.DevNull, "strings")
	second := build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", lower, "-out", upper))
	if strings.Contains(second, "strings\n") || !strings.Contains(second, "example.com/m/lib\n") {
		t.Errorf("the upper layer's build compiled:\n%s", second)
	}
	// Outputs are named by content, so both may hold one (an empty file); actions not.
	for _, p := range cacheFiles(t, lower, "-a") {
		if _, err := os.Stat(filepath.Join(upper, strings.TrimPrefix(p, lower))); err == nil {
			t.Errorf("the upper layer copied the action %s from the lower one", strings.TrimPrefix(p, lower))
		}
	}
	if out := build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", upper, "-ro", lower)); strings.TrimSpace(out) != "" {
		t.Errorf("a build reading both layers compiled:\n%s", out)
	}

	// With -used, the upper layer also takes what it used from the lower one, verified:
	// read alone, it leaves nothing to compile.
	whole := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", lower, "-used", "-out", whole))
	checkOutputs(t, whole)
	if out := build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", whole)); strings.TrimSpace(out) != "" {
		t.Errorf("a build reading the -used layer alone compiled:\n%s", out)
	}
}

// TestCacheprogUsedLayerChecked changes a layer's outputs after it was made, as only a fault
// in the builder's store could. A layer is read by size, but what -used copies from it into a
// new layer is hashed on the way: the changed outputs are misses, compiled again, and the new
// layer holds only sound outputs.
func TestCacheprogUsedLayerChecked(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	lower := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-out", lower))
	zeroFill(t, lower)

	whole := t.TempDir()
	if out := build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", lower, "-used", "-out", whole)); !strings.Contains(out, "strings\n") {
		t.Errorf("a -used build over a changed layer did not compile strings again:\n%s", out)
	}
	checkOutputs(t, whole)
}

// TestCacheprogLayerDeterministic builds the same module twice, at different times, into two
// layers: their bytes are the same, so a step keyed on a layer's content stays cached.
func TestCacheprogLayerDeterministic(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	// The go command indexes a module directory only once it is a few seconds old: aged,
	// it is indexed in both builds.
	old := time.Now().Add(-time.Hour)
	for _, p := range append(cacheFiles(t, dir, ""), dir, filepath.Join(dir, "lib")) {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	var layers [2]map[string]string
	for i := range layers {
		out := t.TempDir()
		build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-out", out))
		layers[i] = map[string]string{}
		for _, p := range cacheFiles(t, out, "") {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			layers[i][strings.TrimPrefix(p, out)] = string(data)
		}
		time.Sleep(10 * time.Millisecond) // a later time for the second
	}
	if len(layers[0]) == 0 {
		t.Fatal("the layer is empty")
	}
	if diff := cmp.Diff(layers[0], layers[1]); diff != "" {
		t.Errorf("two layers of the same build differ (-first +second):\n%s", diff)
	}
}

// TestCacheprogSharesGOCACHE checks that the directory the cache program writes is a GOCACHE
// the go command reads by itself.
func TestCacheprogSharesGOCACHE(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	cache := t.TempDir()
	goCmd(t, dir, []string{"GOCACHEPROG=" + bin + " cacheprog -dir " + cache}, "build", "-trimpath", "-o", os.DevNull, ".")
	// The last GOCACHE in the environment wins over goCmd's fresh one.
	out := goCmd(t, dir, []string{"GOCACHE=" + cache}, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
	if strings.TrimSpace(out) != "" {
		t.Errorf("the go command's own cache missed what the cache program stored:\n%s", out)
	}
}

// smallModule writes a module whose build compiles few packages: main prints with the
// builtin println what its package lib returns from strings.ToUpper.
func smallModule(t *testing.T) string {
	return writeModule(t, map[string]string{
		"go.mod":     "module example.com/m\n\ngo 1.22\n",
		"main.go":    "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.Up(\"x\")) }\n",
		"lib/lib.go": "package lib\n\nimport \"strings\"\n\nfunc Up(s string) string { return strings.ToUpper(s) }\n",
	})
}

// runBinary runs a built program and returns what it printed.
func runBinary(exe string) (string, error) {
	out, err := exec.Command(exe).CombinedOutput()
	return string(out), err
}

// dataFiles lists the output files (-d) of a GOCACHE directory.
func dataFiles(t *testing.T, dir string) []string { return cacheFiles(t, dir, "-d") }

// cacheFiles lists the files of a GOCACHE directory whose names end in suffix.
func cacheFiles(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// checkOutputs fails the test for every output file of dir whose bytes do not hash to the
// output ID in its name.
func checkOutputs(t *testing.T, dir string) {
	t.Helper()
	files := dataFiles(t, dir)
	if len(files) == 0 {
		t.Fatalf("%s holds no outputs", dir)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if want := strings.TrimSuffix(filepath.Base(p), "-d"); hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s holds bytes hashing to %x", p, sum)
		}
	}
}

// zeroFill overwrites every output of a cache directory with zeros of the same size, as a
// disk fault would: the size check alone does not see it.
func zeroFill(t *testing.T, dir string) {
	t.Helper()
	for _, p := range dataFiles(t, dir) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, fi.Size()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCacheprogCorruptedEntry zero-fills every output in the shared cache, as a disk fault or
// a careless build would: a build through the cache program recompiles instead of failing,
// repairs the shared files, and a layer made from that cache holds only sound outputs.
func TestCacheprogCorruptedEntry(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	shared := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", shared))
	zeroFill(t, shared)

	if out := build(t, dir, cacheProgEnv(bin, "-dir", shared)); !strings.Contains(out, "strings\n") {
		t.Errorf("a build over zeroed outputs did not recompile strings:\n%s", out)
	}
	checkOutputs(t, shared)

	// The go command itself reads the repaired cache: it has nothing left to compile.
	if out := goCmd(t, dir, []string{"GOCACHE=" + shared}, "build", "-v", "-trimpath", "-o", os.DevNull, "."); strings.TrimSpace(out) != "" {
		t.Errorf("the go command recompiled from the repaired cache:\n%s", out)
	}

	// Zeroed again, the shared cache cannot leak into a layer.
	for _, p := range dataFiles(t, shared) {
		if err := os.WriteFile(p, bytes.Repeat([]byte{0}, 8), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	layer := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", shared, "-out", layer))
	checkOutputs(t, layer)
}

// TestCacheprogLayerIgnoresSharedMapping plants in the shared cache an action entry that
// names another action's output: an output that verifies, under the wrong action, as a
// hostile build on the same daemon could write. A layer is made only from what its own step
// computed, so it never holds that mapping, and a build reading the layer alone still works.
func TestCacheprogLayerIgnoresSharedMapping(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	shared := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", shared))
	entries := cacheFiles(t, shared, "-a")
	if len(entries) < 2 {
		t.Fatalf("the shared cache has %d action entries", len(entries))
	}
	// Every action now names the output of the next one.
	var lines [][]string
	for _, p := range entries {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Fields(string(data)))
	}
	planted := map[string][]byte{}
	for i, p := range entries {
		next := lines[(i+1)%len(lines)]
		f := lines[i]
		planted[p] = []byte(strings.Join([]string{f[0], f[1], next[2], next[3], f[4]}, " ") + "\n")
		if err := os.WriteFile(p, planted[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}

	layer := t.TempDir()
	if out := build(t, dir, cacheProgEnv(bin, "-dir", shared, "-out", layer)); !strings.Contains(out, "strings\n") {
		t.Errorf("a build making a layer took strings from the shared cache:\n%s", out)
	}
	for _, p := range entries {
		rel, _ := filepath.Rel(shared, p)
		data, err := os.ReadFile(filepath.Join(layer, rel))
		if err != nil {
			continue // not an action of this build
		}
		if bytes.Equal(data, planted[p]) {
			t.Errorf("the layer took the planted entry %s", rel)
		}
	}
	exe := filepath.Join(t.TempDir(), "m")
	goCmd(t, dir, []string{cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", layer)}, "build", "-trimpath", "-o", exe, ".")
	if out, err := runBinary(exe); err != nil || out != "X\n" {
		t.Errorf("the binary built from the layer printed %q (%v), want \"X\\n\"", out, err)
	}
}

// TestCacheprogTouchesServedEntries ages the shared cache past the go command's trim limit:
// the entries a build through the cache program used survive a plain go command's trim of
// the same directory, and the next build compiles nothing.
func TestCacheprogTouchesServedEntries(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	shared := t.TempDir()
	build(t, dir, cacheProgEnv(bin, "-dir", shared))
	old := time.Now().Add(-10 * 24 * time.Hour)
	filepath.WalkDir(shared, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return err
	})
	os.Remove(filepath.Join(shared, "trim.txt")) // the go command trims at most daily

	if out := build(t, dir, cacheProgEnv(bin, "-dir", shared)); strings.TrimSpace(out) != "" {
		t.Fatalf("a warm build compiled:\n%s", out)
	}
	// A plain go command on the shared directory, building something else, trims it.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(other, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	goCmd(t, other, []string{"GOCACHE=" + shared}, "build", "-trimpath", "-o", os.DevNull, ".")
	if _, err := os.Stat(filepath.Join(shared, "trim.txt")); err != nil {
		t.Fatalf("the go command did not trim: %v", err)
	}

	if out := build(t, dir, cacheProgEnv(bin, "-dir", shared)); strings.TrimSpace(out) != "" {
		t.Errorf("after a trim, a build compiled what it had used:\n%s", out)
	}
}

// TestCacheprogConcurrentBuilds runs builds that share one empty cache directory at the same
// time, as builds on one daemon do: each computes and writes the same entries.
func TestCacheprogConcurrentBuilds(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	shared := t.TempDir()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("go", "build", "-trimpath", "-o", os.DevNull, ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0", cacheProgEnv(bin, "-dir", shared))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("build %d: %v\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	checkOutputs(t, shared)
}

// TestCacheprogPutChecksBody: a put whose body is not the output it names is refused.
func TestCacheprogPutChecksBody(t *testing.T) {
	c := &tieredCache{dir: diskCache(t.TempDir())}
	body := []byte("export data")
	sum := sha256.Sum256(body)
	var res response
	if err := c.put([]byte{1, 2, 3}, sum[:], []byte("something else"), &res); err == nil {
		t.Error("a put of a body that does not hash to its output ID succeeded")
	}
	if err := c.put([]byte{1, 2, 3}, sum[:], body, &res); err != nil {
		t.Errorf("a sound put failed: %v", err)
	}
	if e, ok := c.dir.get([]byte{1, 2, 3}); !ok || !c.dir.verified(e) {
		t.Error("the sound put is not served")
	}
}

// TestCacheprogStats checks the report of -stats: a cold build misses what it compiles; a
// build reading its layer gets those entries from the layer, even with a shared cache that
// holds them too.
func TestCacheprogStats(t *testing.T) {
	bin := helperBinary(t)
	dir := smallModule(t)
	layer := t.TempDir()
	stats := regexp.MustCompile(`goimage: build cache: (\d+) entries from the dependency layers, (\d+) from the cache mount, (\d+) missed\n`)
	report := func(out string) []string {
		t.Helper()
		m := stats.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no build cache report in:\n%s", out)
		}
		return m[1:]
	}
	shared := t.TempDir()
	first := report(build(t, dir, cacheProgEnv(bin, "-dir", shared, "-out", layer, "-stats")))
	if first[0] != "0" || first[1] != "0" || first[2] == "0" {
		t.Errorf("a cold build reported %q from the layers, %q from the cache mount, %q missed", first[0], first[1], first[2])
	}
	// It still misses what the go command never caches, such as the link.
	second := report(build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", layer, "-stats")))
	if n, _ := strconv.Atoi(second[2]); second[0] == "0" || second[1] != "0" || n >= mustAtoi(t, first[2])/10 {
		t.Errorf("a build reading the layer reported %q from the layers, %q from the cache mount, %q missed (the cold build %q)", second[0], second[1], second[2], first[2])
	}
	// The layers come before the shared cache, which holds the same entries: nothing is
	// taken from it, so nothing there needs hashing.
	if third := report(build(t, dir, cacheProgEnv(bin, "-dir", shared, "-ro", layer, "-stats"))); third[0] != second[0] || third[1] != "0" {
		t.Errorf("a build reading the layer and the shared cache reported %q from the layers, %q from the cache mount; want %q and \"0\"", third[0], third[1], second[0])
	}
	if out := build(t, dir, cacheProgEnv(bin, "-dir", t.TempDir(), "-ro", layer)); stats.MatchString(out) {
		t.Errorf("a build without -stats reported:\n%s", out)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
