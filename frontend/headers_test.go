package frontend

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"
)

// listReads is what the list step of a build on the fake gateway mounts as its source: the
// name of that op, and the files it makes, by path.
func listReads(t *testing.T, c *fakeClient) (string, map[string]string) {
	t.Helper()
	r, ok := build(t, c).Ref.(*fakeRef)
	if !ok || r.Definition == nil {
		t.Fatal("no definition solved")
	}
	ops, err := decodeOps(r.Definition)
	if err != nil {
		t.Fatal(err)
	}
	name := func(d string) string { return r.Definition.Metadata[d].GetDescription()[customName] }
	for d, op := range ops {
		if !strings.HasPrefix(name(string(d)), "list the dependencies of ") {
			continue
		}
		for _, m := range op.GetExec().Mounts {
			if m.Dest != "/src" {
				continue
			}
			src := op.Inputs[m.Input].Digest
			files := map[string]string{}
			for _, a := range ops[digest.Digest(src)].GetFile().GetActions() {
				if f := a.GetMkfile(); f != nil {
					files[f.Path] = string(f.Data)
				}
			}
			return name(src), files
		}
	}
	t.Fatal("no list step mounting /src")
	return "", nil
}

// TestBuildListReadsImportHeaders checks that the frontend gives the list step the import
// headers of the context's Go files, except where the context holds a symbolic link.
func TestBuildListReadsImportHeaders(t *testing.T) {
	files := dirFiles(t, depsDir)
	name, got := listReads(t, newFakeClientFiles(files, nil))
	if want := "[internal] the module files and the imports of 1 Go files"; name != want {
		t.Fatalf("the list reads %q, want %q", name, want)
	}
	main, err := os.ReadFile(path.Join(depsDir, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/go.mod":  string(files["go.mod"].Data),
		"/go.sum":  string(files["go.sum"].Data),
		"/main.go": string(goimagellb.ImportHeader(main)),
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("files the list reads (-got +want):\n%s", diff)
	}
	if strings.Contains(got["/main.go"], "func main") {
		t.Errorf("the header of main.go holds its body:\n%s", got["/main.go"])
	}

	files["internal/link.go"] = &fstest.MapFile{Data: []byte("../main.go"), Mode: fs.ModeSymlink | 0o777}
	files["internal/main_test.go"] = &fstest.MapFile{Data: []byte("package internal\n"), Mode: 0o644}
	if name, _ := listReads(t, newFakeClientFiles(files, nil)); name != "[internal] load build context" {
		t.Errorf("with a symbolic link the list reads %q, want the build context", name)
	}
}
