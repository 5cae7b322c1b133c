package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runFetch runs goimage-helper fetch on the lines of go.sum text sums into a new module
// cache layer, through the module proxy goproxy and the persistent cache.
func runFetch(t *testing.T, bin, sums, goproxy, cache string) (layer, out string, err error) {
	t.Helper()
	layer = t.TempDir()
	args := []string{"fetch", "-cache", cache, "--"}
	for _, line := range strings.Split(strings.TrimSpace(sums), "\n") {
		args = append(args, line)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-modcacherw", "GOMODCACHE="+layer, "GOPROXY="+goproxy,
		"GOTOOLCHAIN=local", "GOCACHE="+t.TempDir())
	b, err := cmd.CombinedOutput()
	return layer, string(b), err
}

// files lists the files of a directory tree, slash-separated and relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	return names
}

// TestFetch checks a per-module download: the layer holds the module's tree, go.mod, .info and
// .ziphash and nothing that another module's layer could also hold; the persistent cache keeps
// the zip, so a second fetch needs no proxy; and the layer alone builds a program that imports
// the module.
func TestFetch(t *testing.T) {
	bin := helperBinary(t)
	proxy := fileProxy(t)
	sums := goSumText(goSumOf(t, proxy))
	cache := t.TempDir()
	want := []string{
		"cache/download/example.com/dep/@v/v1.0.0.info",
		"cache/download/example.com/dep/@v/v1.0.0.mod",
		"cache/download/example.com/dep/@v/v1.0.0.ziphash",
		"example.com/dep@v1.0.0/dep.go",
		"example.com/dep@v1.0.0/go.mod",
	}
	for i, goproxy := range []string{"file://" + filepath.ToSlash(proxy), "off"} {
		layer, out, err := runFetch(t, bin, sums, goproxy, cache)
		if err != nil {
			t.Fatalf("fetch %d: %v\n%s", i, err, out)
		}
		if got := files(t, layer); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("fetch %d: layer holds\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		dir := module(t)
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Name()) }\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "go.sum"), []byte(sums), 0o644)
		env := []string{"GOFLAGS=-mod=readonly -modcacherw", "GOMODCACHE=" + layer, "GOPROXY=off", "GOWORK=off"}
		if out := goCmd(t, dir, env, "run", "."); strings.TrimSpace(out) != "dep" {
			t.Errorf("fetch %d: the program printed %q, want dep", i, out)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "example.com", "dep", "@v", "v1.0.0.zip")); err != nil {
		t.Errorf("the persistent cache lacks the module: %v", err)
	}
}

// TestFetchGoModOnly checks a version go.sum names only by its go.mod: the layer gets its
// go.mod and .info, never its tree.
func TestFetchGoModOnly(t *testing.T) {
	bin := helperBinary(t)
	proxy := fileProxy(t)
	sums := goSumOf(t, proxy)
	line := "example.com/dep v1.0.0/go.mod " + sums["example.com/dep v1.0.0/go.mod"][0] + "\n"
	layer, out, err := runFetch(t, bin, line, "file://"+filepath.ToSlash(proxy), t.TempDir())
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	want := "cache/download/example.com/dep/@v/v1.0.0.info\ncache/download/example.com/dep/@v/v1.0.0.mod"
	if got := strings.Join(files(t, layer), "\n"); got != want {
		t.Errorf("layer holds\n%s\nwant\n%s", got, want)
	}
}

// TestFetchHostileProxy checks that a proxy serving other bytes than go.sum names fails the
// fetch, with GOSUMDB off: the step's key is the go.sum lines, so its layer must be what they
// name.
func TestFetchHostileProxy(t *testing.T) {
	bin := helperBinary(t)
	proxy := fileProxy(t)
	sums := goSumText(goSumOf(t, proxy))
	dir := filepath.Join(proxy, "example.com", "dep", "@v")
	tests := []struct {
		desc   string
		tamper func()
		want   string
	}{
		{desc: "another zip", tamper: func() {
			rewriteZip(t, filepath.Join(dir, "v1.0.0.zip"), "example.com/dep@v1.0.0/dep.go", "package dep\n\nfunc Name() string { return \"evil\" }\n")
		}, want: "go.sum says"},
		{desc: "another go.mod", tamper: func() {
			os.WriteFile(filepath.Join(dir, "v1.0.0.mod"), []byte("module example.com/dep\n\ngo 1.22\n\nrequire example.com/evil v1.0.0\n"), 0o644)
		}, want: "go.mod has"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			tc.tamper()
			_, out, err := runFetch(t, bin, sums, "file://"+filepath.ToSlash(proxy), t.TempDir())
			var exit *exec.ExitError
			if !errors.As(err, &exit) || !strings.Contains(out, tc.want) {
				t.Errorf("fetch: %v, want a failure saying %q:\n%s", err, tc.want, out)
			}
		})
	}
}

func TestFetchSummary(t *testing.T) {
	took := map[string]bool{filepath.Join("example.com", "a", "@v", "v1.0.0.zip"): true, filepath.Join("example.com", "!c", "@v", "v0.1.0.mod"): true}
	got := fetchSummary([]string{"example.com/a@v1.0.0", "example.com/b@v1.0.0"}, []string{"example.com/C@v0.1.0", "example.com/d@v0.2.0"}, took)
	want := "example.com/a@v1.0.0: from the module cache, matches go.sum\n" +
		"example.com/b@v1.0.0: from the network, matches go.sum\n" +
		"go.mod of 2 module versions: 1 from the module cache, 1 from the network, all match go.sum\n"
	if got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

// TestFetchRefusesOtherArguments checks that an argument that is not a go.sum line, or whose
// path reads as a flag, fails before the go command runs.
func TestFetchRefusesOtherArguments(t *testing.T) {
	bin := helperBinary(t)
	for _, arg := range []string{"example.com/dep@v1.0.0", "-x v1.0.0 h1:abc=", "example.com/dep v1.0.0 md5:abc"} {
		out, err := exec.Command(bin, "fetch", "--", arg).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is not a go.sum line") {
			t.Errorf("fetch %q: %v, want a refusal:\n%s", arg, err, out)
		}
	}
}
