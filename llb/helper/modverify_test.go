package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	modmodule "golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// TestHashZipMatchesDirhash checks the helper's own h1 hashes against golang.org/x/mod,
// which the go command uses, on a module zip made by golang.org/x/mod/zip and on go.mod files.
func TestHashZipMatchesDirhash(t *testing.T) {
	src := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":          "module example.com/Upper/dep\n\ngo 1.22\n",
		"dep.go":          "package dep\n",
		"sub/a b.go":      "package sub\n",
		"sub/z/README.md": "text\n",
	} {
		p := filepath.Join(src, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipPath := filepath.Join(t.TempDir(), "v1.2.3.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(f, modmodule.Version{Path: "example.com/Upper/dep", Version: "v1.2.3"}, src); err != nil {
		t.Fatal(err)
	}
	f.Close()

	want, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hashZip(zipPath); err != nil || got != want {
		t.Errorf("hashZip = %q, %v; dirhash.HashZip = %q", got, err, want)
	}

	goMod := filepath.Join(src, "go.mod")
	data, _ := os.ReadFile(goMod)
	want, err = dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hashGoMod(goMod); err != nil || got != want {
		t.Errorf("hashGoMod = %q, %v; dirhash = %q", got, err, want)
	}
}

func TestEscapePath(t *testing.T) {
	for _, p := range []string{"example.com/dep", "github.com/BurntSushi/toml", "v1.0.0-RC1", "gopkg.in/yaml.v3"} {
		want, err := modmodule.EscapePath(p)
		if err != nil {
			want, _ = modmodule.EscapeVersion(p)
		}
		if got := escapePath(p); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestVerifiedProxy checks what a build takes from shared caches: the zip and go.mod its
// go.sum names, with their .info, and nothing that differs from go.sum by a byte, however
// many caches offer it.
func TestVerifiedProxy(t *testing.T) {
	genuine := fileProxy(t)
	sums := goSumOf(t, genuine)

	tampered := fileProxy(t)
	dir := filepath.Join(tampered, "example.com", "dep", "@v")
	rewriteZip(t, filepath.Join(dir, "v1.0.0.zip"), "example.com/dep@v1.0.0/dep.go", "package dep\n\nfunc Name() string { return \"tampered\" }\n")
	os.WriteFile(filepath.Join(dir, "v1.0.0.mod"), []byte("module example.com/dep\n\ngo 1.21\n"), 0o644)

	badInfo := fileProxy(t)
	os.WriteFile(filepath.Join(badInfo, "example.com", "dep", "@v", "v1.0.0.info"), []byte(`{"Version":"v9.9.9"}`), 0o644)

	tests := []struct {
		desc   string
		caches []string
		want   []string
	}{
		{"a genuine cache", []string{genuine}, []string{"v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip"}},
		{"a tampered cache alone gives nothing", []string{tampered}, nil},
		{"a tampered cache before a genuine one", []string{tampered, genuine}, []string{"v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip"}},
		{"an .info naming another version is left out", []string{badInfo}, []string{"v1.0.0.mod", "v1.0.0.zip"}},
		{"no cache", []string{filepath.Join(t.TempDir(), "missing")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dst := t.TempDir()
			if _, err := verifiedProxy(sums, tt.caches, dst); err != nil {
				t.Fatal(err)
			}
			var got []string
			entries, _ := os.ReadDir(filepath.Join(dst, "example.com", "dep", "@v"))
			for _, e := range entries {
				got = append(got, e.Name())
				// Genuine means the go.sum hash: fileProxy writes its zip entries in map
				// order, so two genuine zips need not be the same bytes.
				key, hash := "example.com/dep v1.0.0", hashZip
				switch e.Name() {
				case "v1.0.0.info":
					continue // go.sum has no hash of it
				case "v1.0.0.mod":
					key, hash = key+"/go.mod", hashGoMod
				}
				h, err := hash(filepath.Join(dst, "example.com", "dep", "@v", e.Name()))
				if err != nil || !sums.matches(key, h) {
					t.Errorf("took a %s that is not the genuine one (%s, %v)", e.Name(), h, err)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("files taken (-got +want):\n%s", diff)
			}
		})
	}
}

// goSumOf is the go.sum of a module requiring example.com/dep v1.0.0 from a fileProxy.
func goSumOf(t *testing.T, proxy string) goSums {
	t.Helper()
	dir := filepath.Join(proxy, "example.com", "dep", "@v")
	zipHash, err := dirhash.HashZip(filepath.Join(dir, "v1.0.0.zip"), dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "v1.0.0.mod"))
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(mod)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return goSums{"example.com/dep v1.0.0": {zipHash}, "example.com/dep v1.0.0/go.mod": {modHash}}
}

// goSumText is a go.sum file's text for sums.
func goSumText(sums goSums) string {
	var s string
	for _, k := range []string{"example.com/dep v1.0.0", "example.com/dep v1.0.0/go.mod"} {
		s += k + " " + sums[k][0] + "\n"
	}
	return s
}

// rewriteZip replaces one file's contents in a zip.
func rewriteZip(t *testing.T, path, name, data string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		if f.Name == name {
			io.WriteString(w, data)
			continue
		}
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	zr.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
