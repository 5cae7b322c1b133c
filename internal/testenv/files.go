package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files, by slash-separated path, under dir, making the directories they
// need: the module trees and contexts that tests build from.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
