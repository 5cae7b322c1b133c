package llb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// depGraph is the build's packages outside the standard library, as goimage-helper deps
// -graph writes them: each once, by its import path (the helper merges the copies go list
// lists for each main package with a default.pgo), with its module (empty for a local
// package) and the packages outside the standard library that it imports, and the modules
// of the module cache that provide them at the versions the build selected.
type depGraph struct {
	Modules  []graphModule
	Packages []graphPackage
}

type graphModule struct {
	Path      string
	Version   string
	GoVersion string
	Replace   *graphModule // a module version, never a directory
}

type graphPackage struct {
	ImportPath string
	Module     string
	Imports    []string
}

// parseDepGraph decodes and checks a dependency graph. Every module path, version and import
// path becomes part of a generated go.mod, vendor/modules.txt, Go file or copied path: one
// the go command would not accept is an error, reported with every other.
func parseDepGraph(data []byte) (*depGraph, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g depGraph
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("dependency graph: %w", err)
	}
	var errs []error
	checkModule := func(m graphModule) {
		if err := module.Check(m.Path, m.Version); err != nil || !safeModulePath(m.Path) || !safeVersion(m.Version) {
			errs = append(errs, fmt.Errorf("module %q %q: not a module path and version", m.Path, m.Version))
		}
		if m.GoVersion != "" && !modfile.GoVersionRE.MatchString(m.GoVersion) {
			errs = append(errs, fmt.Errorf("module %s: go version %q", m.Path, m.GoVersion))
		}
	}
	mods := map[string]bool{}
	for _, m := range g.Modules {
		checkModule(m)
		if m.Replace != nil {
			checkModule(*m.Replace)
		}
		if mods[m.Path] {
			errs = append(errs, fmt.Errorf("module %s: listed twice", m.Path))
		}
		mods[m.Path] = true
	}
	pkgs := map[string]bool{}
	for _, p := range g.Packages {
		if pkgs[p.ImportPath] {
			errs = append(errs, fmt.Errorf("package %s: listed twice", p.ImportPath))
		}
		pkgs[p.ImportPath] = true
		for _, imp := range append([]string{p.ImportPath}, p.Imports...) {
			if err := module.CheckImportPath(imp); err != nil {
				errs = append(errs, fmt.Errorf("package %q: %w", imp, err))
			}
		}
		switch {
		case p.Module == "":
		case !mods[p.Module]:
			errs = append(errs, fmt.Errorf("package %s: module %q is not listed", p.ImportPath, p.Module))
		case p.ImportPath != p.Module && !strings.HasPrefix(p.ImportPath, p.Module+"/"):
			errs = append(errs, fmt.Errorf("package %s is not in its module %s", p.ImportPath, p.Module))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("dependency graph: %w", err)
	}
	return &g, nil
}

// maxModuleCompileSteps is how many compile steps the modules of a build get before
// modules that do not import one another share steps: a step costs a container start and,
// on a fresh builder, a layer to pull.
const maxModuleCompileSteps = 64

// levelBuckets is how many steps the modules of one level share past maxModuleCompileSteps.
const levelBuckets = 4

// compileGroup is a set of modules compiled by one step.
type compileGroup struct {
	modules []string // module paths, sorted
	roots   []string // its packages that packages of other modules import, sorted
	deps    []int    // the groups whose packages its packages import, transitively, sorted
}

// compileGroups splits the modules of a dependency graph into compile steps, in an order
// where every group comes after the groups it imports. Modules that import one another
// share a step. A module that imports a local package, or a package the list could not
// find, is left to the go build step, and so is every module that imports it: none of them
// can compile from the module cache alone.
func compileGroups(g *depGraph) []*compileGroup {
	pkgs := map[string]*graphPackage{}
	for i := range g.Packages {
		pkgs[g.Packages[i].ImportPath] = &g.Packages[i]
	}
	imports := map[string]map[string]bool{} // module -> modules it imports
	importedBy := map[string][]string{}     // module -> modules importing it
	roots := map[string]map[string]bool{}   // module -> its packages other modules import
	outside := map[string]bool{}            // modules left to the go build step
	for _, p := range g.Packages {
		for _, imp := range p.Imports {
			q := pkgs[imp]
			switch {
			case q == nil || q.Module == "":
				if p.Module != "" {
					outside[p.Module] = true
				}
			case q.Module != p.Module:
				if roots[q.Module] == nil {
					roots[q.Module] = map[string]bool{}
				}
				roots[q.Module][imp] = true
				if p.Module != "" {
					if imports[p.Module] == nil {
						imports[p.Module] = map[string]bool{}
					}
					if !imports[p.Module][q.Module] {
						imports[p.Module][q.Module] = true
						importedBy[q.Module] = append(importedBy[q.Module], p.Module)
					}
				}
			}
		}
	}
	for queue := slices.Sorted(maps.Keys(outside)); len(queue) > 0; queue = queue[1:] {
		for _, m := range importedBy[queue[0]] {
			if !outside[m] {
				outside[m] = true
				queue = append(queue, m)
			}
		}
	}
	var mods []string
	for _, m := range g.Modules {
		if !outside[m.Path] && len(roots[m.Path]) > 0 {
			mods = append(mods, m.Path)
		}
	}
	sccs := stronglyConnected(mods, func(m string) []string { return slices.Sorted(maps.Keys(imports[m])) })

	// A component's level is the longest path to a module that imports no other: no two
	// components of a level import each other, so they can share a step.
	sccOf := map[string]int{}
	for i, c := range sccs {
		for _, m := range c {
			sccOf[m] = i
		}
	}
	level := make([]int, len(sccs)) // sccs are in reverse topological order: imports first
	for i, c := range sccs {
		for _, m := range c {
			for d := range imports[m] {
				if j, ok := sccOf[d]; ok && j != i {
					level[i] = max(level[i], level[j]+1)
				}
			}
		}
	}
	type key struct{ level, bucket int }
	byKey := map[key]*compileGroup{}
	var groups []*compileGroup
	for i, c := range sccs {
		k := key{level[i], i}
		if len(sccs) > maxModuleCompileSteps {
			h := fnv.New32a()
			h.Write([]byte(c[0]))
			k.bucket = int(h.Sum32() % levelBuckets)
		}
		if byKey[k] == nil {
			byKey[k] = &compileGroup{}
			groups = append(groups, byKey[k])
		}
		byKey[k].modules = append(byKey[k].modules, c...)
	}
	for _, grp := range groups {
		slices.Sort(grp.modules)
	}
	levelOf := func(grp *compileGroup) int { return level[sccOf[grp.modules[0]]] }
	slices.SortStableFunc(groups, func(a, b *compileGroup) int {
		if d := levelOf(a) - levelOf(b); d != 0 {
			return d
		}
		return strings.Compare(a.modules[0], b.modules[0])
	})
	groupOf := map[string]int{}
	for i, grp := range groups {
		for _, m := range grp.modules {
			groupOf[m] = i
		}
	}
	for i, grp := range groups {
		deps := map[int]bool{}
		rootSet := map[string]bool{}
		for _, m := range grp.modules {
			maps.Copy(rootSet, roots[m])
			for d := range imports[m] {
				if j := groupOf[d]; j != i {
					deps[j] = true
					for _, t := range groups[j].deps {
						deps[t] = true
					}
				}
			}
		}
		grp.deps = slices.Sorted(maps.Keys(deps))
		grp.roots = slices.Sorted(maps.Keys(rootSet))
	}
	return groups
}

// stronglyConnected returns the strongly connected components of the graph of nodes and
// edges (Tarjan's algorithm), each sorted, a component after every component it reaches.
func stronglyConnected(nodes []string, edges func(string) []string) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var sccs [][]string
	var visit func(v string)
	visit = func(v string) {
		index[v] = len(index)
		low[v] = index[v]
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges(v) {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var c []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				c = append(c, w)
				if w == v {
					break
				}
			}
			slices.Sort(c)
			sccs = append(sccs, c)
		}
	}
	for _, v := range nodes {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	return sccs
}
