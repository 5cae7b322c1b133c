package llb

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"golang.org/x/mod/module"
)

// A module compile layer is the build cache of one module's packages, or of a few modules'
// (compileGroups), compiled by a step of its own. The frontend solves the list step and the
// converter reads its dependency graph (goimage-helper deps -graph); each step then reads:
//   - a vendor tree of the modules it compiles and of those they import: its go.mod and
//     vendor/modules.txt, and each module's tree mounted from the module cache with a
//     selector, which BuildKit keys on the content it selects: a bump of any other module
//     leaves the step cached;
//   - the standard library layer, and the layers of the modules it imports (-ro);
//
// and writes the entries it computed. -mod=vendor loads no module graph, so the step needs
// no go.mod file of a module it does not compile, and the go command computes the same
// action ids as in the build of the main module: go build reads the merged layers and
// compiles only the main module. A bump compiles the bumped module and the modules that
// import it, on a warm builder and on a fresh one importing the cache alike.

const (
	graphDir = "/goimage/graph"
	// graphFile is the list's dependency graph, in graphDir.
	graphFile = "graph.json"
	// moduleDepsDir is where a module compile step reads the layers of the modules it
	// imports.
	moduleDepsDir = "/goimage/moduledeps"
)

// StateReader reads a file of a state, solving the state first. A reader that cannot run
// the state (the offline gateway of goimage llb) returns an error wrapping
// errors.ErrUnsupported: one step then compiles every dependency. The converter reads from
// several goroutines at once, states that share ops: llb's marshal sorts an exec op's mounts
// in place, so a reader marshals one state at a time.
type StateReader interface {
	ReadFile(ctx context.Context, st llb.State, name string) ([]byte, error)
}

// errNoGraph says the reader could not run the list: one step compiles every dependency.
var errNoGraph = errors.New("no dependency graph")

// moduleCompilesOK reports whether the dependencies compile in a step per module: the
// frontend reads the list (Options.Reader), the modules come from the module cache, not a
// vendor directory, and the daemon merges layers.
func (c *converter) moduleCompilesOK() bool {
	return c.opt.Reader != nil && !c.plan.Spec.Vendor && c.opt.supports(pb.CapMergeOp)
}

// moduleCompiles returns the merged module compile layers of a dependency group, from the
// read of the dependency graph its list step wrote (graphFile in graphDir).
func (c *converter) moduleCompiles(g *depGroup, field string, read graphFileRead, modCache, std llb.State, what, target string) (llb.State, *depGraph, error) {
	data, err := read.data, read.err
	if errors.Is(err, errors.ErrUnsupported) {
		return llb.State{}, nil, errNoGraph
	}
	if err != nil {
		return llb.State{}, nil, fmt.Errorf("list the dependencies of %s %s: %w", what, target, err)
	}
	dg, err := parseDepGraph(data)
	if err != nil {
		return llb.State{}, nil, fmt.Errorf("list the dependencies of %s %s: %w", what, target, err)
	}
	groups := compileGroups(dg)
	mods := map[string]graphModule{}
	for _, m := range dg.Modules {
		mods[m.Path] = m
	}
	pkgsOf := map[string][]string{}
	for _, p := range dg.Packages {
		if p.Module != "" {
			pkgsOf[p.Module] = append(pkgsOf[p.Module], p.ImportPath)
		}
	}
	for _, pkgs := range pkgsOf {
		slices.Sort(pkgs) // once, not in every vendor tree that lists the module
	}
	layers := make([]llb.State, len(groups))
	for i, grp := range groups {
		closure := slices.Clone(grp.modules)
		var in []llb.State
		for _, d := range grp.deps {
			closure = append(closure, groups[d].modules...)
			in = append(in, layers[d])
		}
		slices.Sort(closure)
		treeMods := make([]graphModule, len(closure))
		for j, m := range closure {
			treeMods[j] = mods[m]
		}
		v := newVendorTree(treeMods, pkgsOf, grp.roots)
		layers[i] = c.compileModuleGroup(g, field, grp.modules, v, modCache, std, in, what, target)
	}
	switch len(layers) {
	case 0:
		return llb.Scratch(), dg, nil
	case 1:
		return layers[0], dg, nil
	}
	return llb.Merge(layers, llb.WithCustomNamef("[internal] the compiled modules of %s %s", what, target)), dg, nil
}

// compileModuleGroup compiles the roots of a vendor tree into a layer, over the standard
// library layer and the layers of the modules they import (in).
func (c *converter) compileModuleGroup(g *depGroup, field string, modules []string, v vendorTree, modCache, std llb.State, in []llb.State, what, target string) llb.State {
	prog := []string{"-ro", stdCacheDir}
	if len(in) > 0 {
		prog = append(prog, "-ro", moduleDepsDir)
	}
	env := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg(append(prog, "-out", depCacheDir, "-stats")...))
	env = setEnv(env, "GOWORK", "off")
	args := append([]string{helperBin, "warm", "--", "go", "build", "-mod=vendor", "-trimpath"}, g.flags...)
	// The roots as arguments, not imports of a generated package: a module nested in another's
	// path may import the other's internal packages (github.com/aws/aws-sdk-go-v2/service/s3
	// imports github.com/aws/aws-sdk-go-v2/internal/ini, a module of its own), which no
	// package outside that path may import, while go build accepts them as arguments.
	run := c.offlineGoRun(c.goRunRoot(), env, append(args, v.roots...), depsDir, llb.Scratch(),
		llb.WithCustomNamef("compile %s for %s %s", moduleList(modules), what, target), c.location(field))
	run.AddMount(depsDir, v.files(c, modCache, moduleList(modules)), llb.Readonly)
	v.mountModules(c, run, modCache)
	run.AddMount(stdCacheDir, std, llb.Readonly)
	switch len(in) {
	case 0:
	case 1:
		run.AddMount(moduleDepsDir, in[0], llb.Readonly)
	default:
		run.AddMount(moduleDepsDir, llb.Merge(in, llb.WithCustomNamef("[internal] the compiled imports of %s", moduleList(modules))), llb.Readonly)
	}
	return run.AddMount(depCacheDir, llb.Scratch())
}

// moduleList names modules for a step: up to three, then how many more.
func moduleList(modules []string) string {
	if len(modules) <= 3 {
		return strings.Join(modules, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(modules[:3], ", "), len(modules)-3)
}

// vendorTree is a module of its own, goimagedeps, with a vendor directory of mods: what go
// build -mod=vendor reads to compile the packages roots.
type vendorTree struct {
	mods  []graphModule       // sorted by path
	pkgs  map[string][]string // module path -> its packages in the build, sorted
	roots []string
	// nested are the modules whose paths hold, or are held by, another's: copied into the
	// tree (files), where the others are mounted (mountModules).
	nested map[string]bool
}

// newVendorTree is the vendor tree of mods, sorted by path, to compile roots.
func newVendorTree(mods []graphModule, pkgs map[string][]string, roots []string) vendorTree {
	nested := map[string]bool{}
	for i, m := range mods {
		for _, n := range mods[i+1:] {
			if strings.HasPrefix(n.Path, m.Path+"/") {
				nested[m.Path], nested[n.Path] = true, true
			}
		}
	}
	return vendorTree{mods: mods, pkgs: pkgs, roots: roots, nested: nested}
}

// goMod requires every module of the tree, as vendor/modules.txt lists it. Its go line
// asks for per-module go versions in vendor/modules.txt, which the action ids of their
// packages hash as in module mode; it is fixed so that the main module's cannot change a
// step's key.
func (v vendorTree) goMod() string {
	var b strings.Builder
	b.WriteString("// Code generated by goimage. DO NOT EDIT.\n\nmodule goimagedeps\n\ngo 1.17\n")
	for _, m := range v.mods {
		fmt.Fprintf(&b, "\nrequire %s %s", m.Path, m.Version)
	}
	for _, m := range v.mods {
		if r := m.Replace; r != nil {
			fmt.Fprintf(&b, "\nreplace %s %s => %s %s", m.Path, m.Version, r.Path, r.Version)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// modulesTxt is vendor/modules.txt: each module, its go version and its packages.
func (v vendorTree) modulesTxt() string {
	var b strings.Builder
	for _, m := range v.mods {
		fmt.Fprintf(&b, "# %s %s", m.Path, m.Version)
		goVersion := m.GoVersion
		if r := m.Replace; r != nil {
			fmt.Fprintf(&b, " => %s %s", r.Path, r.Version)
			goVersion = r.GoVersion
		}
		b.WriteString("\n## explicit")
		if goVersion != "" {
			b.WriteString("; go " + goVersion)
		}
		b.WriteString("\n")
		for _, p := range v.pkgs[m.Path] {
			b.WriteString(p + "\n")
		}
	}
	return b.String()
}

// files writes the vendor tree's own files, and a directory for each module that the compile
// step mounts (mountModules). The modules nested in one another (github.com/aws/aws-sdk-go-v2
// and github.com/aws/aws-sdk-go-v2/service/s3) are copied in instead: a mount inside a
// read-only mount cannot create its target. BuildKit keys a copy, too, on the content it
// copies.
func (v vendorTree) files(c *converter, modCache llb.State, modules string) llb.State {
	at := llb.WithCreatedTime(c.opt.epoch())
	fa := llb.Mkfile("/go.mod", 0o644, []byte(v.goMod()), at).
		Mkdir("/vendor", 0o755, at).
		Mkfile("/vendor/modules.txt", 0o644, []byte(v.modulesTxt()), at)
	for _, m := range v.mods { // sorted: a module comes before those nested in it
		dir := path.Join("/vendor", m.Path)
		if v.nested[m.Path] {
			fa = fa.Copy(c.moduleTree(m, modCache), "/"+m.cacheDir(), dir, &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true})
		} else {
			fa = fa.Mkdir(dir, 0o755, llb.WithParents(true), at)
		}
	}
	return llb.Scratch().File(fa, llb.WithCustomNamef("[internal] the vendor tree of %s", modules))
}

// mountModules mounts the tree of each module not nested in another at its directory of the
// vendor tree, read-only with a selector: BuildKit keys such a mount on the content it
// selects, so a bump of another module leaves the step cached.
func (v vendorTree) mountModules(c *converter, run llb.ExecState, modCache llb.State) {
	for _, m := range v.mods {
		if !v.nested[m.Path] {
			run.AddMount(path.Join(depsDir, "vendor", m.Path), c.moduleTree(m, modCache), llb.Readonly, llb.SourcePath("/"+m.cacheDir()))
		}
	}
}

// moduleTree is the layer that holds the tree of m: its download layer, else the module
// cache. BuildKit hashes what a selector picks out of a layer once per layer, on first use:
// out of the download layer, a bump hashes the trees of the bumped layer's modules alone,
// where out of the module cache, a new merge after each go.mod change, it hashed every
// module the build compiles (0.4 s of a 2.1 s mikefarah/yq build).
func (c *converter) moduleTree(m graphModule, modCache llb.State) llb.State {
	if m.Replace != nil {
		m = *m.Replace
	}
	if layer, ok := c.moduleLayerOf[m.Path+"@"+m.Version]; ok {
		return layer.st
	}
	return modCache
}

// cacheDir is where the module cache holds the tree of the module, or of its replacement.
func (m graphModule) cacheDir() string {
	if m.Replace != nil {
		m = *m.Replace
	}
	// Checked by parseDepGraph: the escaped forms cannot fail.
	p, _ := module.EscapePath(m.Path)
	ver, _ := module.EscapeVersion(m.Version)
	return p + "@" + ver
}
