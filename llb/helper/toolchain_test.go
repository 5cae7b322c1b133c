package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/patternmatcher"
)

// converterExcludes are the converter's toolchainExcludes (package llb), which this
// standard-library-only command cannot import; TestToolchainLayer there checks the converter
// passes them, and TestHelperTestsConverterExcludes that this list is the same.
var converterExcludes = []string{
	"src/cmd", "test", "api", "doc", "misc",
	"**/testdata", "**/*_test.go",
	"bin/gofmt", "pkg/tool/*/vet", "pkg/tool/*/fix", "pkg/tool/*/cgo",
}

// TestExcludedAsBuildKit checks that the helper leaves out exactly what BuildKit's copy with
// the same patterns would.
func TestExcludedAsBuildKit(t *testing.T) {
	for _, p := range []string{
		"src/cmd/go/main.go", "src/cmd", "src/cmdx/a.go", "src/net/http/server_test.go", "src/time/testdata/x",
		"testdata", "src/testdata", "a/b/c/testdata/d/e", "test/bench/x.go", "test", "tests/x",
		"bin/gofmt", "bin/go", "pkg/tool/linux_amd64/vet", "pkg/tool/linux_arm64/cgo", "pkg/tool/x/y/vet",
		"pkg/tool/linux_amd64/compile", "doc/go_spec.html", "api/next/x.txt", "misc/wasm/a.js",
		"go.env", "VERSION", "src/runtime/proc.go", "src/vendor/modules.txt", "src/go/doc/doc.go",
		"x_test.go", "src/a_test.go/b", "src/internal/coverage/test/counter.go",
	} {
		want, err := patternmatcher.MatchesOrParentMatches(p, converterExcludes)
		if err != nil {
			t.Fatal(err)
		}
		// The helper meets a path only if it did not prune a parent.
		got := false
		parts := strings.Split(p, "/")
		for i := range parts {
			if excluded(strings.Join(parts[:i+1], "/"), converterExcludes) {
				got = true
				break
			}
		}
		if got != want {
			t.Errorf("%s: excluded %v, BuildKit %v", p, got, want)
		}
	}
}

// TestToolchain copies a GOROOT and checks what the layer holds: the files not excluded,
// with their permissions, links as links, a /tmp anyone can write, and every time the epoch.
func TestToolchain(t *testing.T) {
	goroot := filepath.Join(t.TempDir(), "usr", "local", "go")
	testenv.WriteFiles(t, goroot, map[string]string{
		"VERSION":                      "go1.26",
		"bin/go":                       "binary",
		"bin/gofmt":                    "binary",
		"pkg/tool/linux_amd64/compile": "binary",
		"pkg/tool/linux_amd64/vet":     "binary",
		"src/runtime/proc.go":          "package runtime",
		"src/runtime/proc_test.go":     "package runtime",
		"src/time/testdata/zone":       "data",
		"src/cmd/go/main.go":           "package main",
		"test/x.go":                    "package x",
	})
	for _, f := range []string{"bin/go", "pkg/tool/linux_amd64/compile"} {
		if err := os.Chmod(filepath.Join(goroot, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("proc.go", filepath.Join(goroot, "src/runtime/link.go")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	epoch := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	args := []string{"-o", out, "-epoch", epoch.Format(time.RFC3339Nano)}
	for _, p := range converterExcludes {
		args = append(args, "-exclude", p)
	}
	if err := toolchain(append(args, goroot)); err != nil {
		t.Fatal(err)
	}

	got := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !info.ModTime().Equal(epoch) {
			t.Errorf("%s: time %v, want %v", p, info.ModTime(), epoch)
		}
		rel, _ := filepath.Rel(out, p)
		if strings.HasPrefix(rel, strings.TrimPrefix(goroot, "/")+"/") || rel == "tmp" {
			got[strings.TrimPrefix(rel, strings.TrimPrefix(goroot, "/")+"/")] = info.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"tmp":                          "drwxrwxrwx",
		"VERSION":                      "-rw-r--r--",
		"bin":                          "drwxr-xr-x",
		"bin/go":                       "-rwxr-xr-x",
		"pkg":                          "drwxr-xr-x",
		"pkg/tool":                     "drwxr-xr-x",
		"pkg/tool/linux_amd64":         "drwxr-xr-x",
		"pkg/tool/linux_amd64/compile": "-rwxr-xr-x",
		"src":                          "drwxr-xr-x",
		"src/runtime":                  "drwxr-xr-x",
		"src/runtime/proc.go":          "-rw-r--r--",
		"src/runtime/link.go":          "Lrwxrwxrwx",
		"src/time":                     "drwxr-xr-x",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("the layer (-got +want):\n%s", diff)
	}
	if data, err := os.ReadFile(filepath.Join(out, goroot, "src/runtime/proc.go")); err != nil || string(data) != "package runtime" {
		t.Errorf("proc.go: %q, %v", data, err)
	}
}

// TestToolchainRefuses checks the arguments the converter never passes.
func TestToolchainRefuses(t *testing.T) {
	goroot := t.TempDir()
	for _, tc := range []struct {
		desc string
		args []string
	}{
		{"a relative GOROOT", []string{"-o", t.TempDir(), "-epoch", "1970-01-01T00:00:00Z", "usr/local/go"}},
		{"the root as GOROOT", []string{"-o", t.TempDir(), "-epoch", "1970-01-01T00:00:00Z", "/"}},
		{"an unclean GOROOT", []string{"-o", t.TempDir(), "-epoch", "1970-01-01T00:00:00Z", goroot + "/../x"}},
		{"no output", []string{"-epoch", "1970-01-01T00:00:00Z", goroot}},
		{"no epoch", []string{"-o", t.TempDir(), goroot}},
		{"a bad pattern", []string{"-o", t.TempDir(), "-epoch", "1970-01-01T00:00:00Z", "-exclude", "[", goroot}},
		{"a missing GOROOT", []string{"-o", t.TempDir(), "-epoch", "1970-01-01T00:00:00Z", goroot + "/missing"}},
	} {
		if err := toolchain(tc.args); err == nil {
			t.Errorf("%s: toolchain %q succeeded", tc.desc, tc.args)
		}
	}
}
