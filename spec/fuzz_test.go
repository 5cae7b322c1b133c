package spec

import (
	"os"
	"path/filepath"
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
