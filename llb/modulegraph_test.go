package llb

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testGraph is a dependency graph: modules by "path@version", and packages by import path,
// each "module: imports..." (module "" for a local package).
func testGraph(mods []string, pkgs map[string]string) *depGraph {
	g := &depGraph{}
	for _, m := range mods {
		p, v, _ := strings.Cut(m, "@")
		g.Modules = append(g.Modules, graphModule{Path: p, Version: v, GoVersion: "1.21"})
	}
	for ip, desc := range pkgs {
		mod, imports, _ := strings.Cut(desc, ":")
		g.Packages = append(g.Packages, graphPackage{ImportPath: ip, Module: mod, Imports: strings.Fields(imports)})
	}
	return g
}

// groupSummary is compileGroups' result as text: "modules | roots | deps".
func groupSummary(groups []*compileGroup) []string {
	var out []string
	for _, g := range groups {
		out = append(out, fmt.Sprintf("%s | %s | %v", strings.Join(g.modules, " "), strings.Join(g.roots, " "), g.deps))
	}
	return out
}

func TestCompileGroups(t *testing.T) {
	tests := []struct {
		desc string
		mods []string
		pkgs map[string]string
		want []string
	}{{
		desc: "a chain: each module after what it imports, its dependencies transitive",
		mods: []string{"a.com/x@v1.0.0", "b.com/y@v1.0.0", "c.com/z@v1.0.0"},
		pkgs: map[string]string{
			"example.com/m":    ": a.com/x",
			"a.com/x":          "a.com/x: a.com/x/inner b.com/y",
			"a.com/x/inner":    "a.com/x:",
			"b.com/y":          "b.com/y: c.com/z/sub",
			"c.com/z/sub":      "c.com/z: c.com/z/sub/deep",
			"c.com/z/sub/deep": "c.com/z:",
		},
		want: []string{
			"c.com/z | c.com/z/sub | []",
			"b.com/y | b.com/y | [0]",
			"a.com/x | a.com/x | [0 1]",
		},
	}, {
		desc: "modules that import one another share a step",
		mods: []string{"a.com/x@v1.0.0", "b.com/y@v1.0.0", "c.com/z@v1.0.0"},
		pkgs: map[string]string{
			"example.com/m": ": a.com/x c.com/z",
			"a.com/x":       "a.com/x: b.com/y",
			"b.com/y":       "b.com/y: a.com/x/util",
			"a.com/x/util":  "a.com/x:",
			"c.com/z":       "c.com/z:",
		},
		want: []string{
			"a.com/x b.com/y | a.com/x a.com/x/util b.com/y | []",
			"c.com/z | c.com/z | []",
		},
	}, {
		desc: "a module importing a local package, and what imports it, are left to go build",
		mods: []string{"a.com/x@v1.0.0", "b.com/y@v1.0.0", "c.com/z@v1.0.0"},
		pkgs: map[string]string{
			"example.com/m":     ": a.com/x c.com/z",
			"example.com/m/lib": ":",
			"a.com/x":           "a.com/x: b.com/y",
			"b.com/y":           "b.com/y: example.com/m/lib",
			"c.com/z":           "c.com/z:",
		},
		want: []string{"c.com/z | c.com/z | []"},
	}, {
		desc: "a module importing a package the list could not find is left to go build",
		mods: []string{"a.com/x@v1.0.0", "c.com/z@v1.0.0"},
		pkgs: map[string]string{
			"example.com/m": ": a.com/x c.com/z",
			"a.com/x":       "a.com/x: missing.com/p",
			"c.com/z":       "c.com/z:",
		},
		want: []string{"c.com/z | c.com/z | []"},
	}, {
		desc: "no modules",
		pkgs: map[string]string{"example.com/m": ":"},
	}}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := groupSummary(compileGroups(testGraph(tc.mods, tc.pkgs)))
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("groups (-got +want):\n%s", diff)
			}
		})
	}
}

// TestCompileGroupsMany checks a project of more modules than maxModuleCompileSteps: modules
// share steps only within a level, so that no step imports one it shares with, each module
// is in exactly one step, and every step comes after the steps it imports.
func TestCompileGroupsMany(t *testing.T) {
	half := maxModuleCompileSteps
	var mods []string
	pkgs := map[string]string{}
	var top []string
	for i := range 2 * half {
		p := fmt.Sprintf("m%03d.com/p", i)
		mods = append(mods, p+"@v1.0.0")
		imports := ""
		if i >= half { // the second half each import two of the first
			imports = fmt.Sprintf("m%03d.com/p m%03d.com/p", i-half, (i*7)%half)
		}
		pkgs[p] = p + ":" + imports
		top = append(top, p)
	}
	pkgs["example.com/m"] = ":" + strings.Join(top, " ")
	groups := compileGroups(testGraph(mods, pkgs))
	if len(groups) > 2*levelBuckets || len(groups) < 2 {
		t.Fatalf("%d steps for %d modules on two levels, want 2 to %d", len(groups), 2*half, 2*levelBuckets)
	}
	in := map[string]int{}
	for i, g := range groups {
		for _, m := range g.modules {
			if _, dup := in[m]; dup {
				t.Errorf("%s is in two steps", m)
			}
			in[m] = i
		}
		for _, d := range g.deps {
			if d >= i {
				t.Errorf("step %d imports step %d, which comes after it", i, d)
			}
		}
	}
	for p, desc := range pkgs {
		_, imports, _ := strings.Cut(desc, ":")
		for _, imp := range strings.Fields(imports) {
			if p == "example.com/m" {
				continue
			}
			if in[p] == in[imp] {
				t.Errorf("%s and %s, which it imports, share a step", p, imp)
			}
		}
	}
	if len(in) != 2*half {
		t.Errorf("%d modules in steps, want %d", len(in), 2*half)
	}
}

// TestParseDepGraphHostile: every value of the list that becomes part of a generated file or
// a copied path is checked, and every error is reported at once.
func TestParseDepGraphHostile(t *testing.T) {
	g := testGraph([]string{"a.com/x@v1.0.0"}, map[string]string{"a.com/x": "a.com/x:"})
	hostile := []struct {
		desc  string
		edit  func(g *depGraph)
		error string
	}{
		{"a module path that leaves the module cache", func(g *depGraph) { g.Modules[0].Path = "../../etc" }, `module "../../etc"`},
		{"a version with a newline", func(g *depGraph) { g.Modules[0].Version = "v1.0.0\nreplace a => b" }, "not a module path and version"},
		{"a replacement that is a directory", func(g *depGraph) { g.Modules[0].Replace = &graphModule{Path: "./local"} }, `module "./local"`},
		{"a go version with code", func(g *depGraph) { g.Modules[0].GoVersion = "1.21\ngo 1.0" }, "go version"},
		{"an import path with a quote", func(g *depGraph) { g.Packages[0].Imports = []string{`a.com/x"; import "os`} }, "package"},
		{"an import path that reads as a flag", func(g *depGraph) { g.Packages[0].Imports = []string{"-toolexec=/bin/sh"} }, "leading dash"},
		{"a package outside its module", func(g *depGraph) { g.Packages[0].ImportPath = "b.com/y" }, "not in its module"},
		{"a package of a module not listed", func(g *depGraph) { g.Packages[0].Module = "c.com/z" }, "is not listed"},
		// go list lists a package once for each main package with a default.pgo, as
		// "a.com/x [example.com/m/cmd/a]": the helper writes it once, by its import path.
		{"a package listed twice", func(g *depGraph) { g.Packages = append(g.Packages, g.Packages[0]) }, "package a.com/x: listed twice"},
		{"a package as go list names a copy for one main package", func(g *depGraph) { g.Packages[0].ImportPath = "a.com/x [example.com/m/cmd/a]" }, `package "a.com/x [example.com/m/cmd/a]"`},
	}
	for _, tc := range hostile {
		t.Run(tc.desc, func(t *testing.T) {
			data, _ := json.Marshal(g)
			var bad depGraph
			if err := json.Unmarshal(data, &bad); err != nil {
				t.Fatal(err)
			}
			tc.edit(&bad)
			data, _ = json.Marshal(bad)
			_, err := parseDepGraph(data)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("parseDepGraph = %v, want an error with %q", err, tc.error)
			}
		})
	}
	t.Run("every error at once", func(t *testing.T) {
		bad := testGraph([]string{"a.com/x@v1.0.0", "b.com/y@bad"}, map[string]string{"a.com/x": "a.com/x:", "c.com/z": "d.com/w:"})
		data, _ := json.Marshal(bad)
		_, err := parseDepGraph(data)
		if err == nil || !strings.Contains(err.Error(), `"b.com/y" "bad"`) || !strings.Contains(err.Error(), `module "d.com/w" is not listed`) {
			t.Errorf("parseDepGraph = %v, want both errors", err)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		if _, err := parseDepGraph([]byte(`{"Modules": [], "Extra": 1}`)); err == nil {
			t.Error("a graph with an unknown field parsed")
		}
	})
}
