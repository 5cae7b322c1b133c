package llb

import (
	"bytes"
	"go/parser"
	"go/scanner"
	"go/token"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// The list step (goimage-helper deps) asks go list for each package's imports and module.
// go/build reads a Go file for that only up to the end of its import declarations (build
// constraints, package clause, imports; the rest of the file only for //go:embed lines, which
// the list does not ask for). So when the frontend has read those headers
// (Options.ImportHeaders), the list step mounts a tree of them and of the module files
// instead of the build context: an edit that leaves every import alone leaves the step's key
// as it was, and the frontend reads the dependency graph from the cache instead of waiting
// for the go command, on a warm builder and on a fresh one importing the cache alike.

// ListedDir reports whether a package may live in a directory of this name: not in one
// whose name starts with a dot, which no import path can name. (go list skips testdata and
// names starting with _ only when it expands a ... pattern; an import may name them.)
func ListedDir(name string) bool {
	return !strings.HasPrefix(name, ".")
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
	n, err := importsEnd(src)
	if err != nil {
		return src
	}
	return append(bytes.Clone(src[:n]), '\n')
}

// ImportHeaderPrefix is ImportHeader of a file of which src is only the first bytes. ok is
// false when those bytes cannot tell: the header does not parse within them, or nothing
// follows the imports in them, so more import declarations may.
func ImportHeaderPrefix(src []byte) (header []byte, ok bool) {
	n, err := importsEnd(src)
	if err != nil {
		return nil, false
	}
	var s scanner.Scanner
	rest := src[n:]
	s.Init(token.NewFileSet().AddFile("", -1, len(rest)), rest, nil, 0)
	if _, tok, _ := s.Scan(); tok == token.EOF || tok == token.ILLEGAL {
		return nil, false
	}
	return append(bytes.Clone(src[:n]), '\n'), true
}

// importsEnd is the offset in src where its import declarations end (its package clause,
// when it has none).
func importsEnd(src []byte) (int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
	if err != nil {
		return 0, err
	}
	end := f.Name.End()
	if len(f.Decls) > 0 { // ImportsOnly: the import declarations alone
		end = f.Decls[len(f.Decls)-1].End()
	}
	return fset.Position(end).Offset, nil
}

// listSource is what the list step mounts at srcDir: the module files and the import headers
// of the Go files when the frontend read them and nothing else of the context can change the
// list, else the build context itself. Generated source, a vendor directory, a workspace and
// a module replaced by a directory are read from the context.
func (c *converter) listSource(src llb.State) llb.State {
	if _, ok := c.headersSuffice(); !ok {
		return src
	}
	files := maps.Clone(c.opt.ModuleFiles)
	maps.Copy(files, c.opt.ImportHeaders)
	if goMod := c.listGoMod(); goMod != nil {
		root := path.Join(".", c.plan.Spec.Dir)
		files[path.Join(root, "go.mod")] = goMod
		delete(files, path.Join(root, "go.sum"))
	}
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
	noun := "Go files"
	if len(c.opt.ImportHeaders) == 1 {
		noun = "Go file"
	}
	return llb.Scratch().File(fa, llb.WithCustomNamef("[internal] the module files and the imports of %d %s", len(c.opt.ImportHeaders), noun))
}

// headersSuffice reports whether the module files and import headers hold everything of the
// context that the list reads, and the main module's path ("" when go.mod names none), which
// it parses go.mod for.
func (c *converter) headersSuffice() (modPath string, ok bool) {
	s := c.plan.Spec
	if c.opt.ImportHeaders == nil || c.opt.ModuleFiles == nil || s.Vendor || len(s.Generate) > 0 || namesFile(c.goCommandFlags()) {
		return "", false
	}
	root := path.Join(".", s.Dir)
	if _, ok := c.opt.ModuleFiles[path.Join(root, "go.work")]; ok {
		return "", false
	}
	f, ok := c.goMod()
	if !ok {
		return "", false // none, or for the go command to report, from the context
	}
	for _, r := range f.Replace {
		if modfile.IsDirectoryPath(r.New.Path) {
			return "", false
		}
	}
	if f.Module != nil {
		modPath = f.Module.Mod.Path
	}
	return modPath, true
}

// goCommandFlags are the GOFLAGS the build's go commands may see: the builder's, then the
// spec's.
func (c *converter) goCommandFlags() []string {
	builder, _ := lookupEnv(c.env, "GOFLAGS")
	return append(strings.Fields(builder), strings.Fields(c.plan.Spec.GoFlags)...)
}

// namesFile reports whether go command flags name a file of the context that neither the
// headers nor a binary's package directories hold: -overlay, -modfile, or a -pgo profile
// other than a main package's default.pgo.
func namesFile(flags []string) bool {
	for i, f := range flags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !hasValue && i+1 < len(flags) {
			value = flags[i+1]
		}
		switch name {
		case "overlay", "modfile":
			return true
		case "pgo":
			if value != "auto" && value != "off" {
				return true
			}
		}
	}
	return false
}

// stdOnlyGoMod is the go.mod the list reads where the import headers import no package that
// a module could provide, nil elsewhere: no module that go.mod requires or replaces holds an
// import (the go command would look for it there), and each is of the main module or has no
// dot in its first element. That go.mod keeps the project's module, go, toolchain and
// godebug lines, none of its requirements, and the list mounts no module cache: the go
// command loads a go 1.17 or later module's requirements lazily, and never for a build of the
// main module and the standard library alone. So a go get of a test or tool dependency
// leaves the list as it was, and nothing waits for the module's download.
func (c *converter) stdOnlyGoMod() []byte {
	modPath, ok := c.headersSuffice()
	if !ok || modPath == "" {
		return nil
	}
	f, _ := c.goMod() // headersSuffice parsed it
	if !lazyLoading(f) {
		return nil
	}
	var modules []string
	for _, r := range f.Require {
		modules = append(modules, r.Mod.Path)
	}
	for _, r := range f.Replace {
		modules = append(modules, r.Old.Path)
	}
	within := func(imp, mod string) bool { return imp == mod || strings.HasPrefix(imp, mod+"/") }
	for name, h := range c.opt.ImportHeaders {
		file, err := parser.ParseFile(token.NewFileSet(), name, h, parser.ImportsOnly)
		if err != nil {
			return nil // for go list to report
		}
		for _, spec := range file.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return nil
			}
			// A required module may hold a path within the main module's (its own /v2, or
			// a module the main module's path is nested in): the go command looks there too.
			if slices.ContainsFunc(modules, func(m string) bool { return within(imp, m) }) {
				return nil
			}
			if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") && !within(imp, modPath) {
				return nil
			}
		}
	}
	out, ok := goModHead(f)
	if !ok {
		return nil
	}
	data, err := out.Format()
	if err != nil {
		return nil
	}
	return data
}

// parseGoMod parses the main module's go.mod, for converter.goMod; ok is false where there is
// none or it does not parse.
func (c *converter) parseGoMod() (*modfile.File, bool) {
	data, ok := c.opt.ModuleFiles[path.Join(".", c.plan.Spec.Dir, "go.mod")]
	if !ok {
		return nil, false
	}
	f, err := modfile.Parse("go.mod", data, nil)
	return f, err == nil
}

// lazyLoading reports whether the go command loads the module's requirements lazily: its go
// line names Go 1.17 or later.
func lazyLoading(f *modfile.File) bool {
	return f.Module != nil && f.Go != nil && semver.IsValid("v"+f.Go.Version) && semver.Compare("v"+f.Go.Version, "v1.17") >= 0
}

// goModHead is a go.mod with f's module, go, toolchain and godebug lines.
func goModHead(f *modfile.File) (*modfile.File, bool) {
	out := new(modfile.File)
	if f.Module == nil || f.Go == nil || out.AddModuleStmt(f.Module.Mod.Path) != nil || out.AddGoStmt(f.Go.Version) != nil {
		return nil, false
	}
	if f.Toolchain != nil && out.AddToolchainStmt(f.Toolchain.Name) != nil {
		return nil, false
	}
	for _, g := range f.Godebug {
		if out.AddGodebug(g.Key, g.Value) != nil {
			return nil, false
		}
	}
	return out, true
}
