package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

func TestInitGoimagefile(t *testing.T) {
	testenv.SkipIfShort(t, "runs go list")
	tests := []struct {
		desc  string
		files map[string]string
		want  string
	}{
		{
			desc: "the module root and commands; tooling, tests and examples left out",
			files: map[string]string{
				"go.mod":                       "module example.com/tool/v2\n\ngo 1.22\n",
				"main.go":                      "package main\n\nfunc main() {}\n",
				"cmd/server/main.go":           "package main\n\nfunc main() {}\n",
				"lib/lib.go":                   "package lib\n",
				"examples/demo/main.go":        "package main\n\nfunc main() {}\n",
				"internal/testutils/x/main.go": "package main\n\nfunc main() {}\n",
				"cmd/server-test/main.go":      "package main\n\nfunc main() {}\n",
				"gen/windows/main.go":          "//go:build windows\n\npackage main\n\nfunc main() {}\n",
				"hack/gen/main.go":             "package main\n\nfunc main() {}\n",
				"cmd/other/server/main.go":     "package main\n\nfunc main() {}\n",
				"testdata/fixture/main.go":     "package main\n\nfunc main() {}\n",
				".github/scripts/tool/main.go": "package main\n\nfunc main() {}\n",
			},
			want: "# syntax=goimage/frontend:1\n# Written by goimage init; see the README for every field.\nversion: 1\ngo: \"1.26\"\nbinaries:\n" +
				"  - name: tool\n    main: .\n  - name: server\n    main: ./cmd/other/server\n  - name: server-2\n    main: ./cmd/server\nbase: distroless\n",
		},
		{
			desc: "a vendored module",
			files: map[string]string{
				"go.mod":             "module example.com/v\n\ngo 1.26\n",
				"cmd/v/main.go":      "package main\n\nfunc main() {}\n",
				"vendor/modules.txt": "",
			},
			want: "# syntax=goimage/frontend:1\n# Written by goimage init; see the README for every field.\nversion: 1\ngo: \"1.26\"\nvendor: true\nbinaries:\n" +
				"  - name: v\n    main: ./cmd/v\nbase: distroless\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := initGoimagefile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Goimagefile (-got +want):\n%s", diff)
			}
		})
	}
}

func TestGoVersion(t *testing.T) {
	for gomod, want := range map[string]string{
		"module m\n\ngo 1.21\n":   "1.26", // goimage's default builds older modules
		"module m\n\ngo 1.99.1\n": "1.99", // a newer module gets the builder it asks for
		"module m\n":              "1.26",
	} {
		if got := goVersion([]byte(gomod)); got != want {
			t.Errorf("goVersion(%q) = %q, want %q", gomod, got, want)
		}
	}
}
