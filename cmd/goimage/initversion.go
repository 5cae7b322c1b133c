package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"slices"
	"strings"
)

// versionVar is a package-level string variable that `-X` can set, and the build arg init
// sets it from.
type versionVar struct {
	// Symbol is what -X names: "main.version", "example.com/m/internal/version.Commit".
	Symbol string
	// Arg is the build arg: VERSION, or the frontend's GOIMAGE_REVISION and GOIMAGE_DATE.
	Arg string
}

// versionArgs are the build args of version variables, by lower-case name.
var versionArgs = map[string]string{
	"version": "VERSION", "gitversion": "VERSION", "buildversion": "VERSION",
	"commit": "GOIMAGE_REVISION", "gitcommit": "GOIMAGE_REVISION", "revision": "GOIMAGE_REVISION",
	"gitrevision": "GOIMAGE_REVISION", "commithash": "GOIMAGE_REVISION", "gitsha": "GOIMAGE_REVISION",
	"date": "GOIMAGE_DATE", "builddate": "GOIMAGE_DATE", "buildtime": "GOIMAGE_DATE", "commitdate": "GOIMAGE_DATE",
}

// versionPackage says a non-main package is where a module keeps its version data, by its
// name: a variable named Version elsewhere (an API version, a schema version) is not one.
func versionPackage(importPath string) bool {
	name := strings.ToLower(path.Base(importPath))
	return strings.Contains(name, "version") || strings.Contains(name, "build")
}

// versionVars are the version variables of a package's files: package-level, of type
// string, and unset or set to a string literal (what -X can replace). A main package's are
// named main.NAME, as -X names them. Those of a package that is neither main nor named for
// version data count only where the Makefile stamps them (stamped, makefileSymbols).
func versionVars(p listedPackage, stamped map[string]bool) ([]versionVar, error) {
	only := p.Name != "main" && !versionPackage(p.ImportPath)
	if only && !hasPrefixKey(stamped, p.ImportPath+".") {
		return nil, nil
	}
	prefix := p.ImportPath
	if p.Name == "main" {
		prefix = "main"
	}
	files, err := p.parse(parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("read version variables: %w", err)
	}
	var vars []versionVar
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for i, id := range spec.(*ast.ValueSpec).Names {
					arg, ok := versionArgs[strings.ToLower(id.Name)]
					sym := prefix + "." + id.Name
					if ok && settable(spec.(*ast.ValueSpec), i) && (!only || stamped[sym]) {
						vars = append(vars, versionVar{Symbol: sym, Arg: arg})
					}
				}
			}
		}
	}
	slices.SortFunc(vars, func(a, b versionVar) int { return strings.Compare(a.Symbol, b.Symbol) })
	return vars, nil
}

func hasPrefixKey(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// settable says the i-th variable of a declaration is a string -X can set: declared string
// with no value or a literal, or untyped with a string literal.
func settable(vs *ast.ValueSpec, i int) bool {
	if vs.Type != nil {
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "string" {
			return false
		}
	}
	if len(vs.Values) == 0 {
		return vs.Type != nil
	}
	if len(vs.Values) != len(vs.Names) {
		return false
	}
	lit, ok := vs.Values[i].(*ast.BasicLit)
	return ok && lit.Kind == token.STRING
}

// ldflagsOf are the -X entries of a binary: its main package's version variables and the
// module's version packages'.
func ldflagsOf(vars []versionVar) []string {
	var out []string
	for _, v := range vars {
		out = append(out, fmt.Sprintf("-X %s=${%s}", v.Symbol, v.Arg))
	}
	return out
}
