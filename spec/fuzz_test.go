package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that any input gives a spec or errors, never a panic, and that a spec it
// accepts passes validation again unchanged (Parse is a fixed point on its own output).
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	// No file of testdata has aliases: start the fuzzer from some, to mutate around the budget.
	f.Add([]byte(aliasBomb(50, 40)))
	f.Add([]byte(sharedScalar(30, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a spec and an error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(s.Binaries) == 0 {
			t.Fatal("a valid spec without binaries")
		}
		if errs := s.validate(); len(errs) > 0 {
			t.Fatalf("a parsed spec fails validation: %v", errs)
		}
	})
}

// TestLimits checks inputs far beyond a real spec: each gets one clear error.
func TestLimits(t *testing.T) {
	var many strings.Builder
	many.WriteString("version: 1\nbinaries:\n")
	for i := range 5000 {
		fmt.Fprintf(&many, "  - {name: b%d, main: ./cmd/b%d}\n", i, i)
	}
	tests := []struct {
		desc, file, want string
	}{
		{desc: "thousands of binaries", file: many.String(), want: "binaries: 5000 binaries, over the limit of 256"},
		{desc: "over the size limit", file: "version: 1\n#" + strings.Repeat("x", MaxSize), want: "over the 262144 byte limit"},
		{desc: "deep nesting", file: "version: 1\nmain: .\nimage: {env: {A: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}}\n", want: "image.env.A: want a string, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := Parse([]byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %.300v, want it to contain %q", err, tt.want)
			}
			if errs, ok := err.(Errors); ok && len(errs) > 3 {
				t.Errorf("%d errors: want one clear one, not one per item", len(errs))
			}
		})
	}
}
