package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fileProxy writes a module proxy directory serving example.com/dep v1.0.0.
func fileProxy(t *testing.T) string {
	t.Helper()
	proxy := t.TempDir()
	dir := filepath.Join(proxy, "example.com", "dep", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/dep\n\ngo 1.22\n"
	files := map[string]string{
		"list":        "v1.0.0\n",
		"v1.0.0.info": `{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`,
		"v1.0.0.mod":  gomod,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(dir, "v1.0.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range map[string]string{
		"go.mod": gomod,
		"dep.go": "package dep\n\nfunc Name() string { return \"dep\" }\n",
	} {
		w, err := zw.Create("example.com/dep@v1.0.0/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return proxy
}

// TestDownloadThroughCache checks the download step's two caches: the layer gets the
// modules go.mod names, without their zips, the persistent cache keeps them, and a later
// download into an empty layer needs nothing from the network.
func TestDownloadThroughCache(t *testing.T) {
	bin := helperBinary(t)
	proxy := fileProxy(t)
	dir := module(t)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Name()) }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte(goSumText(goSumOf(t, proxy))), 0o644)
	cache := t.TempDir()

	run := func(layer, goproxy string) string {
		t.Helper()
		cmd := exec.Command(bin, "download", "-cache", cache)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -modcacherw", "GOMODCACHE="+layer,
			"GOPROXY="+goproxy, "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("download: %v\n%s", err, out)
		}
		return string(out)
	}
	for i, goproxy := range []string{"file://" + filepath.ToSlash(proxy), "off"} {
		layer := t.TempDir()
		run(layer, goproxy)
		if _, err := os.Stat(filepath.Join(layer, "example.com", "dep@v1.0.0", "dep.go")); err != nil {
			t.Errorf("download %d: the layer lacks the module: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(cache, "example.com", "dep", "@v", "v1.0.0.zip")); err != nil {
			t.Errorf("download %d: the persistent cache lacks the module: %v", i, err)
		}
		downloaded := filepath.Join(layer, "cache", "download", "example.com", "dep", "@v")
		if _, err := os.Stat(filepath.Join(downloaded, "v1.0.0.ziphash")); err != nil {
			t.Errorf("download %d: the layer lacks the module's hash: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(downloaded, "v1.0.0.zip")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("download %d: the layer keeps the module zip (stat: %v)", i, err)
		}
		// The layer alone builds the program with the proxy off, and verifies the module
		// against go.sum.
		env := []string{"GOFLAGS=-mod=mod -modcacherw", "GOMODCACHE=" + layer, "GOPROXY=off", "GOSUMDB=off", "GOWORK=off"}
		out := goCmd(t, dir, env, "run", ".")
		if strings.TrimSpace(out) != "dep" {
			t.Errorf("download %d: the program printed %q, want dep", i, out)
		}
		if out := goCmd(t, dir, env, "mod", "verify"); !strings.Contains(out, "all modules verified") {
			t.Errorf("download %d: go mod verify printed %q", i, out)
		}
	}
}

// TestDownloadNoDependencies checks a module that requires nothing: no module files, no error.
func TestDownloadNoDependencies(t *testing.T) {
	bin := helperBinary(t)
	cmd := exec.Command(bin, "download", "-cache", t.TempDir())
	cmd.Dir = module(t)
	cmd.Env = append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("download: %v\n%s", err, out)
	}
}

// depModule writes a module requiring example.com/dep v1.0.0 with the go.sum of proxy.
func depModule(t *testing.T, proxy string) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte(goSumText(goSumOf(t, proxy))), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Name()) }\n"), 0o644)
	return dir
}

// runDownload runs goimage-helper download in dir with the checksum database off, so that
// go.sum alone decides, as it does for a module it lists.
func runDownload(t *testing.T, bin, dir, layer, goproxy string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"download"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -modcacherw", "GOMODCACHE="+layer,
		"GOPROXY="+goproxy, "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDownloadPoisonedCache plants a tampered module in the shared cache, as a build with
// its own proxy and verification off could: a build whose go.sum names the genuine module
// skips the planted file, fetches the genuine one, and repairs the shared cache with it.
func TestDownloadPoisonedCache(t *testing.T) {
	bin := helperBinary(t)
	genuine := fileProxy(t)
	shared := fileProxy(t)
	planted := filepath.Join(shared, "example.com", "dep", "@v", "v1.0.0.zip")
	rewriteZip(t, planted, "example.com/dep@v1.0.0/dep.go", "package dep\n\nfunc Name() string { return \"tampered\" }\n")
	dir := depModule(t, genuine)

	layer := t.TempDir()
	if out, err := runDownload(t, bin, dir, layer, "file://"+filepath.ToSlash(genuine), "-cache", shared); err != nil {
		t.Fatalf("download with a poisoned cache: %v\n%s", err, out)
	}
	src, err := os.ReadFile(filepath.Join(layer, "example.com", "dep@v1.0.0", "dep.go"))
	if err != nil || strings.Contains(string(src), "tampered") {
		t.Errorf("the layer's module source is %q (%v), want the genuine one", src, err)
	}
	got, _ := os.ReadFile(planted)
	want, _ := os.ReadFile(filepath.Join(genuine, "example.com", "dep", "@v", "v1.0.0.zip"))
	if !bytes.Equal(got, want) {
		t.Error("the shared cache still holds the planted zip")
	}
}

// TestDownloadReadOnlyCache checks -read: its modules are used, and what the build fetched
// from the network is not written to it.
func TestDownloadReadOnlyCache(t *testing.T) {
	bin := helperBinary(t)
	shared := fileProxy(t)
	dir := depModule(t, shared)
	if out, err := runDownload(t, bin, dir, t.TempDir(), "off", "-read", shared); err != nil {
		t.Fatalf("download from a read-only cache with the network off: %v\n%s", err, out)
	}
	empty := t.TempDir()
	if out, err := runDownload(t, bin, dir, t.TempDir(), "file://"+filepath.ToSlash(shared), "-read", empty); err != nil {
		t.Fatalf("download past an empty read-only cache: %v\n%s", err, out)
	}
	if files := treeOf(t, empty); len(files) != 0 {
		t.Errorf("the read-only cache was written: %q", files)
	}
}

// treeOf lists the files of dir.
func treeOf(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	return files
}

func TestNoGitHint(t *testing.T) {
	tests := []struct {
		desc, stderr string
		hint         bool
	}{
		{desc: "git missing", stderr: "go: example.com/m@v1.0.0: git init --bare: exec: \"git\": executable file not found in $PATH\n", hint: true},
		{desc: "a checksum mismatch", stderr: "verifying example.com/m@v1.0.0: checksum mismatch\n"},
		{desc: "no output", stderr: ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := noGitHint([]byte(tc.stderr))
			if (got != "") != tc.hint || (tc.hint && !strings.Contains(got, "goprivate:")) {
				t.Errorf("noGitHint(%q) = %q, want a hint: %v", tc.stderr, got, tc.hint)
			}
		})
	}
}
