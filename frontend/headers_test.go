package frontend

import (
	"io/fs"
	"maps"
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

// goFile is a Go file of the fake context.
func goFile(src string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(src), Mode: 0o644} }

// TestBuildListReadsImportHeaders checks that the frontend gives the list step the import
// headers of the Go files of the module directory that a build may import (testdata and _
// directories included, tests left out), reading a prefix of large files and the whole
// file when the header goes on past it.
func TestBuildListReadsImportHeaders(t *testing.T) {
	files := dirFiles(t, depsDir)
	// Longer than the prefix the frontend reads first, its header within the prefix.
	big := "package main\n\nimport \"fmt\"\n\nfunc big() { fmt.Println(`" + strings.Repeat("x", 100<<10) + "`) }\n"
	// Its import past the prefix.
	long := "package main\n\n// " + strings.Repeat("y", 70<<10) + "\nimport \"os\"\n\nvar args = os.Args\n"
	maps.Copy(files, fstest.MapFS{
		"big.go":               goFile(big),
		"long.go":              goFile(long),
		"main_test.go":         goFile("package main\n\nimport \"testing\"\n"),
		"testdata/gen/gen.go":  goFile("package gen\n\nimport \"strings\"\n\nvar S = strings.ToUpper(\"x\")\n"),
		"_tools/tool/tool.go":  goFile("package tool\n\nimport \"os\"\n"),
		".hidden/hidden.go":    goFile("package hidden\n"),
		"internal/x/_skip.go":  goFile("package x\n"),
		"internal/x/x_test.go": goFile("package x\n"),
	})
	name, got := listReads(t, newFakeClientFiles(files, nil))
	if want := "[internal] the module files and the imports of 5 Go files"; name != want {
		t.Fatalf("the list reads %q, want %q", name, want)
	}
	header := func(name string) string { return string(goimagellb.ImportHeader(files[name].Data)) }
	want := map[string]string{
		"/go.mod":              string(files["go.mod"].Data),
		"/go.sum":              string(files["go.sum"].Data),
		"/main.go":             header("main.go"),
		"/big.go":              "package main\n\nimport \"fmt\"\n",
		"/long.go":             "package main\n\n// " + strings.Repeat("y", 70<<10) + "\nimport \"os\"\n",
		"/testdata/gen/gen.go": "package gen\n\nimport \"strings\"\n",
		"/_tools/tool/tool.go": "package tool\n\nimport \"os\"\n",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("files the list reads (-got +want):\n%s", diff)
	}
	if strings.Contains(got["/main.go"], "func main") {
		t.Errorf("the header of main.go holds its body:\n%s", got["/main.go"])
	}
}

// TestBuildListReadsContext checks the contexts whose list reads the whole context: the
// headers could not say what go list would see.
func TestBuildListReadsContext(t *testing.T) {
	inSvc := func() fstest.MapFS {
		files := fstest.MapFS{}
		for name, f := range dirFiles(t, depsDir) {
			files["svc/"+name] = f
		}
		files["Goimagefile"] = &fstest.MapFile{Data: append(files["svc/Goimagefile"].Data, "dir: svc\n"...), Mode: 0o644}
		return files
	}
	tests := []struct {
		desc  string
		files fstest.MapFS
	}{
		{"a symbolic link", fstest.MapFS{"internal/link.go": {Data: []byte("../main.go"), Mode: fs.ModeSymlink | 0o777}}},
		{"a vendor directory", fstest.MapFS{"vendor/modules.txt": goFile("# github.com/google/uuid v1.6.0\n")}},
		{"assembly", fstest.MapFS{"internal/x/x_amd64.s": goFile("#include \"../y/y.h\"\n")}},
		{"a go.work above the module", nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			files := dirFiles(t, depsDir)
			if tt.files == nil {
				files = inSvc()
				files["go.work"] = goFile("go 1.26\n\nuse ./svc\n")
			}
			maps.Copy(files, tt.files)
			if name, _ := listReads(t, newFakeClientFiles(files, nil)); name != "[internal] load build context" {
				t.Errorf("the list reads %q, want the build context", name)
			}
		})
	}
	t.Run("a module in a directory, no go.work above it", func(t *testing.T) {
		if name, _ := listReads(t, newFakeClientFiles(inSvc(), nil)); !strings.HasPrefix(name, "[internal] the module files and the imports") {
			t.Errorf("the list reads %q, want the headers", name)
		}
	})
}
