package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEditKeepsDownloadCached rebuilds after a one-file edit: the module download, keyed on
// go.mod and go.sum alone, must come from the cache, and only the compile step runs again.
func TestEditKeepsDownloadCached(t *testing.T) {
	c := daemon(t)
	dir := example(t, "deps")
	if _, _, err := solve(t, c, dir, nil); err != nil {
		t.Fatalf("first build: %v", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "main.go"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A new function each run: an edit seen before would be a cache hit of its own.
	if _, err := fmt.Fprintf(f, "\nfunc edited%d() {}\n", time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, steps, err := solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("build after the edit: %v", err)
	}
	if !steps.get(t, "go mod download").Cached {
		t.Error("go mod download ran again after a .go file edit: want it cached")
	}
	if steps.get(t, "go build . linux/amd64").Cached {
		t.Error("go build was cached after a .go file edit: want it to run")
	}
}
