package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/errdefs"
)

// TestErrorsPointAtTheGoimagefile checks that a failing build names the Goimagefile line at
// fault, both for a bad field and for a compile error, as buildctl and buildx print it.
func TestErrorsPointAtTheGoimagefile(t *testing.T) {
	c := daemon(t)
	for _, tc := range []struct {
		desc       string
		goimage    string
		mainGo     string // replaces main.go when set
		wantLine   int32
		wantColumn int32 // 0-based, as BuildKit's ranges are
		wantMsg    string
	}{
		{
			desc:     "misspelt field",
			goimage:  "# syntax=goimage/frontend:1\nversion: 1\nbase: scratch\nmian: .\n",
			wantLine: 4, wantColumn: 0,
			wantMsg: `mian: unknown field (did you mean "main"?)`,
		},
		{
			desc:     "wrong type",
			goimage:  "# syntax=goimage/frontend:1\nversion: 1\nmain: .\ncgo: maybe\n",
			wantLine: 4, wantColumn: 5,
			wantMsg: `cgo: want true or false, got "maybe"`,
		},
		{
			desc:     "compile error",
			goimage:  "# syntax=goimage/frontend:1\nversion: 1\nbase: scratch\nbinaries:\n  - name: hello\n    main: .\n",
			mainGo:   "package main\n\nfunc main() { undefinedFunction() }\n",
			wantLine: 6, wantColumn: 10,
			wantMsg: "undefined: undefinedFunction",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := example(t, "hello")
			write(t, filepath.Join(dir, "Goimagefile"), tc.goimage)
			if tc.mainGo != "" {
				write(t, filepath.Join(dir, "main.go"), tc.mainGo)
			}
			_, steps, err := solve(t, c, dir, nil)
			if err == nil {
				t.Fatal("the build succeeded, want an error")
			}
			if said := err.Error() + steps.output(); !strings.Contains(said, tc.wantMsg) {
				t.Errorf("neither the error %q nor the build's output says %q", err, tc.wantMsg)
			}
			srcs := errdefs.Sources(err)
			if len(srcs) == 0 || len(srcs[0].Ranges) == 0 {
				t.Fatalf("error %q carries no Goimagefile location", err)
			}
			src := srcs[0]
			if src.Info.Filename != "Goimagefile" {
				t.Errorf("the location is in %q, want Goimagefile", src.Info.Filename)
			}
			if got := src.Ranges[0].Start; got.Line != tc.wantLine || got.Character != tc.wantColumn {
				t.Errorf("the location is %d:%d, want %d:%d", got.Line, got.Character, tc.wantLine, tc.wantColumn)
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
