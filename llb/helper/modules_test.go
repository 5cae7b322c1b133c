package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequiredModules copies from a module cache the modules a deps go.mod requires, by
// their escaped names, and nothing of the others; before go 1.17, every go.mod too.
func TestRequiredModules(t *testing.T) {
	cache := t.TempDir()
	for _, f := range []string{
		"github.com/!burnt!sushi/toml@v1.4.0/decode.go",
		"github.com/!burnt!sushi/toml@v1.4.0/sub/x.go",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.mod",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.info",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.ziphash",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.zip",
		"cache/download/github.com/!burnt!sushi/toml/@v/list",
		// A replacement's files; the replaced version has no tree of its own.
		"example.com/fork@v0.2.0/fork.go",
		"cache/download/example.com/fork/@v/v0.2.0.mod",
		"cache/download/example.com/fork/@v/v0.2.0.ziphash",
		// A module nothing requires: a test dependency, say.
		"github.com/google/uuid@v1.6.0/uuid.go",
		"cache/download/github.com/google/uuid/@v/v1.6.0.mod",
		"cache/download/github.com/google/uuid/@v/v1.6.0.info",
		"cache/download/github.com/google/uuid/@v/v1.6.0.ziphash",
	} {
		writeFile(t, filepath.Join(cache, f), f)
	}
	t.Setenv("GOMODCACHE", cache)
	const require = "\nrequire github.com/BurntSushi/toml v1.4.0\nrequire example.com/orig v0.1.0\nreplace example.com/orig v0.1.0 => example.com/fork v0.2.0\n"
	required := []string{
		"cache/download/example.com/fork/@v/v0.2.0.mod",
		"cache/download/example.com/fork/@v/v0.2.0.ziphash",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.info",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.mod",
		"cache/download/github.com/!burnt!sushi/toml/@v/v1.4.0.ziphash",
		"example.com/fork@v0.2.0/fork.go",
		"github.com/!burnt!sushi/toml@v1.4.0/decode.go",
		"github.com/!burnt!sushi/toml@v1.4.0/sub/x.go",
	}
	tests := []struct {
		desc  string
		gomod string
		want  []string
	}{
		{"go 1.17 and later: the required modules alone", "module goimagedeps\n\ngo 1.25.0\n" + require, required},
		{"before go 1.17: every go.mod as well", "module goimagedeps\n\ngo 1.16\n" + require,
			append(slices.Clone(required), "cache/download/github.com/google/uuid/@v/v1.6.0.mod")},
		{"no go line: as before go 1.17", "module goimagedeps\n" + require,
			append(slices.Clone(required), "cache/download/github.com/google/uuid/@v/v1.6.0.mod")},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			gomod := filepath.Join(t.TempDir(), "go.mod")
			writeFile(t, gomod, tt.gomod)
			out := filepath.Join(t.TempDir(), "modules")
			if err := requiredModules([]string{"-o", out, gomod}); err != nil {
				t.Fatal(err)
			}
			got := filesUnder(t, out)
			slices.Sort(tt.want)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("copied (-got +want):\n%s", diff)
			}
			if data, err := os.ReadFile(filepath.Join(out, "example.com/fork@v0.2.0/fork.go")); err != nil || string(data) != "example.com/fork@v0.2.0/fork.go" {
				t.Errorf("fork.go = %q, %v: want the cache's bytes", data, err)
			}
		})
	}
}

// TestRequiredModulesMissing fails on a required module the cache lacks: the download step
// put every module of go.sum there, so a gap is a broken cache, not something to build past.
func TestRequiredModulesMissing(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	gomod := filepath.Join(t.TempDir(), "go.mod")
	writeFile(t, gomod, "module goimagedeps\n\ngo 1.25\n\nrequire github.com/google/uuid v1.6.0\n")
	err := requiredModules([]string{"-o", t.TempDir(), gomod})
	if err == nil {
		t.Fatal("no error for a module missing from the cache")
	}
	if want := "module github.com/google/uuid@v1.6.0"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
}

func TestGoAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"1.17": true, "1.25.0": true, "1.16": false, "1.9": false, "2.0": false, "": false, "1.x": false} {
		if got := goAtLeast(v, 17); got != want {
			t.Errorf("goAtLeast(%q, 17) = %v, want %v", v, got, want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// filesUnder lists the regular files under dir, relative to it and slash-separated, sorted.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}
