package llb

import (
	"bytes"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"golang.org/x/mod/modfile"
)

// The list step (goimage-helper deps) asks go list for each package's imports and module.
// go/build reads a Go file for that only up to the end of its import declarations (build
// constraints, package clause, imports; the rest of the file only for //go:embed lines, which
// the list does not ask for). So when the frontend has read those headers
// (Options.ImportHeaders), the list step mounts a tree of them and of the module files
// instead of the build context: an edit that leaves every import alone leaves the step's key
// as it was, and the frontend reads the dependency graph from the cache instead of waiting
// for the go command, on a warm builder and on a fresh one importing the cache alike.

// ListedDir reports whether go list looks for packages in a directory of this name: not in
// testdata, nor in one whose name starts with . or _.
func ListedDir(name string) bool {
	return name != "testdata" && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_")
}

// ListedGoFile reports whether the list step reads a file of this name: a Go file that is
// not a test (go list -deps lists no test) and that go/build does not ignore.
func ListedGoFile(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_")
}

// ImportHeader is the part of a Go file's source that go/build reads for its imports: up to
// the end of its import declarations. A file that does not parse that far is returned whole,
// so that go list reports what it would of the file itself.
func ImportHeader(src []byte) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
	if err != nil {
		return src
	}
	end := f.Name.End()
	if len(f.Decls) > 0 { // ImportsOnly: the import declarations alone
		end = f.Decls[len(f.Decls)-1].End()
	}
	n := fset.Position(end).Offset
	return append(bytes.Clone(src[:n]), '\n')
}

// listSource is what the list step mounts at srcDir: the module files and the import headers
// of the Go files when the frontend read them and nothing else of the context can change the
// list, else the build context itself. Generated source, a vendor directory, a workspace and
// a module replaced by a directory are read from the context.
func (c *converter) listSource(src llb.State) llb.State {
	if !c.headersSuffice() {
		return src
	}
	files := maps.Clone(c.opt.ModuleFiles)
	maps.Copy(files, c.opt.ImportHeaders)
	at := llb.WithCreatedTime(c.opt.epoch())
	var fa *llb.FileAction
	dirs := map[string]bool{".": true, "/": true}
	var mkdir func(dir string)
	mkdir = func(dir string) {
		if dirs[dir] {
			return
		}
		mkdir(path.Dir(dir))
		dirs[dir] = true
		fa = fa.Mkdir("/"+dir, 0o755, at)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) { // go.mod at least: headersSuffice
		mkdir(path.Dir(name))
		fa = fa.Mkfile("/"+name, 0o644, files[name], at)
	}
	return llb.Scratch().File(fa, llb.WithCustomNamef("[internal] the module files and the imports of %d Go files", len(c.opt.ImportHeaders)))
}

// headersSuffice reports whether the module files and import headers hold everything of the
// context that the list reads.
func (c *converter) headersSuffice() bool {
	s := c.plan.Spec
	if c.opt.ImportHeaders == nil || c.opt.ModuleFiles == nil || s.Vendor || len(s.Generate) > 0 {
		return false
	}
	root := path.Join(".", s.Dir)
	if _, ok := c.opt.ModuleFiles[path.Join(root, "go.work")]; ok {
		return false
	}
	data, ok := c.opt.ModuleFiles[path.Join(root, "go.mod")]
	if !ok {
		return false
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return false // for the go command to report, from the context
	}
	for _, r := range f.Replace {
		if modfile.IsDirectoryPath(r.New.Path) {
			return false
		}
	}
	return true
}
