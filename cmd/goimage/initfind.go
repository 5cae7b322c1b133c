package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// mainPackage is a main package init found: where it is, and why it ships or is left out.
type mainPackage struct {
	// Dir is its directory relative to the Goimagefile's, slash-separated; "." for that one.
	Dir string
	// Module is the path of the module it belongs to.
	Module string
	// LeftOut says why it is not a binary of the image; "" when it is one.
	LeftOut string
	// Vars are the version variables -X can set in it and in the packages it imports.
	Vars []versionVar
	// Cgo says it has files that import "C"; CgoVia is a module known to work only with cgo
	// that it imports, itself or through packages of the modules init reads.
	Cgo    bool
	CgoVia string
	// rank orders the binaries: the one named after its module or repository first, then
	// other commands under cmd/, then the rest; within a rank, by module in go.work's order.
	rank, module int
}

// moduleDirs are the modules init looks in, relative to dir: those a go.work uses, else dir's.
func moduleDirs(dir string) (mods []string, workspace bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.work"))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"."}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return nil, false, fmt.Errorf("go.work: %w", err)
	}
	for _, u := range wf.Use {
		mods = append(mods, path.Clean(filepath.ToSlash(u.Path)))
	}
	if len(mods) == 0 {
		return nil, false, errors.New("go.work uses no module")
	}
	return mods, true, nil
}

// listedPackage is the part of `go list -find -json` init reads.
type listedPackage struct {
	Name       string
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Error      *struct{ Err string }
}

// files are a package's non-test files for the build: pure Go and cgo.
func (p listedPackage) files() []string { return append(slices.Clone(p.GoFiles), p.CgoFiles...) }

// parse parses a package's files (files) as far as mode asks.
func (p listedPackage) parse(mode parser.Mode) ([]*ast.File, error) {
	fset := token.NewFileSet()
	var out []*ast.File
	for _, name := range p.files() {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, mode)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// findMains lists the main packages of the modules in dir (a go.work's, else dir's own) as
// goimage builds them: for linux, without cgo, with `go list -find` (no downloads). repo is
// the repository's name, which a product binary is often named after.
func findMains(dir, repo string) ([]mainPackage, error) {
	dir, err := filepath.Abs(dir) // go list prints absolute directories
	if err != nil {
		return nil, err
	}
	mods, _, err := moduleDirs(dir)
	if err != nil {
		return nil, err
	}
	type modPackage struct {
		listedPackage
		mod     string // its module's directory, relative to dir
		modPath string
		index   int
	}
	var all []modPackage
	for i, mod := range mods {
		gomod, err := os.ReadFile(filepath.Join(dir, mod, "go.mod"))
		if err != nil {
			return nil, fmt.Errorf("no module in %s: %w", path.Join(dir, mod), err)
		}
		pkgs, err := goList(filepath.Join(dir, mod))
		if err != nil {
			return nil, err
		}
		for _, p := range pkgs {
			all = append(all, modPackage{p, mod, modfile.ModulePath(gomod), i})
		}
	}
	stamped, err := makefileSymbols(dir)
	if err != nil {
		return nil, err
	}
	imports := map[string][]string{} // import path -> the paths its files import
	for _, p := range all {
		if imports[p.ImportPath], err = importsOf(p.listedPackage); err != nil {
			return nil, err
		}
	}
	// The version variables of the packages that are not main: a binary gets those of the
	// packages it imports, in any module init reads (a go.work's sibling modules too).
	shared := map[string][]versionVar{}
	for _, p := range all {
		if p.Name != "main" {
			if shared[p.ImportPath], err = versionVars(p.listedPackage, stamped); err != nil {
				return nil, err
			}
		}
	}
	var out []mainPackage
	for _, p := range all {
		if p.Name != "main" {
			continue
		}
		vars, err := versionVars(p.listedPackage, stamped)
		if err != nil {
			return nil, err
		}
		deps := importedBy(p.ImportPath, imports)
		for _, dep := range slices.Sorted(slices.Values(deps)) {
			vars = append(vars, shared[dep]...)
		}
		within, err := filepath.Rel(filepath.Join(dir, p.mod), p.Dir)
		if err != nil {
			return nil, err
		}
		within = filepath.ToSlash(within)
		rank := rankOf(within, p.modPath, repo)
		out = append(out, mainPackage{Dir: path.Join(p.mod, within), Module: p.modPath, LeftOut: leftOut(within, rank, p.listedPackage),
			Vars: vars, Cgo: len(p.CgoFiles) > 0, CgoVia: cgoVia(append([]string{p.ImportPath}, deps...), imports), rank: rank, module: p.index})
	}
	slices.SortStableFunc(out, func(a, b mainPackage) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if a.module != b.module {
			return a.module - b.module
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	return out, nil
}

// goList runs `go list -e -find` on the module in dir, for linux as goimage builds it, and
// returns the packages it lists without an error. cgo is on, so that a main package of cgo
// files is found, and says it needs cgo.
func goList(dir string) ([]listedPackage, error) {
	cmd := exec.Command("go", "list", "-e", "-find", "-json=Name,ImportPath,Dir,GoFiles,CgoFiles,Error", "./...")
	cmd.Dir = dir
	// -mod=readonly: init never downloads a module or edits go.mod, whatever the module
	// lacks.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %w\n%s", dir, err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		if p.Error == nil {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// toolingDirs are directories whose main packages are tooling, not what an image ships.
var toolingDirs = []string{"internal", "hack", "tools", "tool", "scripts", "script", "examples", "example",
	"demo", "demos", "testdata", "e2e", "integration", "docs", "doc", "helpers", "contrib"}

// toolingWords are words of command names that release, generate or document the product.
var toolingWords = []string{"release", "releaser", "goreleaser", "gen", "generate", "generator", "codegen",
	"docgen", "gendocs", "mkdocs", "changelog", "sample", "samples"}

// leftOut says why a main package is not a binary of the image, "" when it is one: a
// directory holding only _test.go files, or tooling by its place or, unless it is named
// after the product (rank 0), by its name.
func leftOut(within string, rank int, p listedPackage) string {
	if len(p.files()) == 0 {
		return "only _test.go files"
	}
	els := strings.Split(within, "/")
	for _, el := range els[:len(els)-1] {
		if slices.Contains(toolingDirs, el) || strings.HasPrefix(el, "test") || strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return "under " + el + "/"
		}
	}
	name := els[len(els)-1]
	switch {
	case name == "." || rank == 0:
		return ""
	case slices.Contains(toolingDirs, name) || strings.HasPrefix(name, "test") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
		return "tooling (" + name + "/)"
	case strings.HasSuffix(name, "-test") || strings.HasSuffix(name, "_test") || strings.Contains(name, "test-setup") ||
		strings.Contains(name, "testsetup") || strings.HasSuffix(name, "-e2e"):
		return "a test helper"
	}
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		if slices.Contains(toolingWords, word) {
			return "tooling (" + word + ")"
		}
	}
	return ""
}

// rankOf orders a main package: 0 when named after its module or the repository (the module
// root, cmd/NAME), 1 for another command under cmd/, 2 for the rest.
func rankOf(within, modPath, repo string) int {
	name := path.Base(within)
	if within == "." {
		name = moduleName(modPath)
	}
	switch {
	case name == moduleName(modPath) || (repo != "" && name == repo):
		return 0
	case path.Dir(within) == "cmd":
		return 1
	}
	return 2
}

// moduleName is a module path's last element, without a major version suffix.
func moduleName(modPath string) string {
	return path.Base(majorSuffix.ReplaceAllString(modPath, ""))
}

// importsOf are the import paths of a package's files, read from their import clauses.
func importsOf(p listedPackage) ([]string, error) {
	files, err := p.parse(parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	var paths []string
	for _, f := range files {
		for _, imp := range f.Imports {
			if ip, err := strconv.Unquote(imp.Path.Value); err == nil && !slices.Contains(paths, ip) {
				paths = append(paths, ip)
			}
		}
	}
	return paths, nil
}

// importedBy are the packages init read that pkg imports, directly or not, in the order a
// breadth-first walk of the imports reaches them.
func importedBy(pkg string, imports map[string][]string) []string {
	seen := map[string]bool{pkg: true}
	var out []string
	visit := func(p string) {
		for _, ip := range imports[p] {
			if _, ours := imports[ip]; ours && !seen[ip] {
				seen[ip] = true
				out = append(out, ip)
			}
		}
	}
	visit(pkg)
	for i := 0; i < len(out); i++ { // out grows as the walk goes
		visit(out[i])
	}
	return out
}

// cgoOnly are modules that work only with cgo: their pure-Go build fails or does nothing.
var cgoOnly = []string{"github.com/mattn/go-sqlite3", "github.com/mattn/go-oci8",
	"github.com/confluentinc/confluent-kafka-go", "github.com/google/gopacket/pcap",
	"github.com/tecbot/gorocksdb", "github.com/linxGnu/grocksdb"}

// cgoVia is a cgo-only module that one of pkgs imports (a main package, then what it imports
// among the packages init reads, in importedBy's order; imports holds theirs); "" for none.
func cgoVia(pkgs []string, imports map[string][]string) string {
	for _, p := range pkgs {
		for _, ip := range imports[p] {
			for _, m := range cgoOnly {
				if ip == m || strings.HasPrefix(ip, m+"/") {
					return m
				}
			}
		}
	}
	return ""
}
