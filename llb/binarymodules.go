package llb

import (
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// A binary's own module files. The go build of a binary read the project's go.mod and go.sum
// and the whole module cache, so any go.mod change ran it again, and it linked again from an
// unchanged build cache: 0.56 s of a 1.8 s mikefarah/yq build after a go get of a module no
// package of it imports, the most common Dependabot and Renovate change after a bump.
//
// Where the list's graph tells which modules a binary builds, its go build reads instead:
//   - a go.mod of its own: the project's module, go, toolchain, godebug and exclude lines, a
//     require of each module the binary builds at the version the build selected, and the
//     replace lines of those modules;
//   - the go.sum lines of those versions;
//   - a module cache of those versions alone: each one's tree and download directory mounted
//     from its download layer, read-only with a selector, which BuildKit keys on the content
//     it selects.
//
// The go command loads a go 1.17 or later module's requirements lazily: with every module
// that provides a package listed, it reads their go.mod files and no other, and selects the
// listed versions, which the whole graph selected. The binary is the same, byte for byte
// (TestBinaryModulesSameBinary), and a go.mod change that leaves the binary's modules alone
// leaves every input of its go build alone.

// binaryModules are the module files and module cache of one binary's go build.
type binaryModules struct {
	goMod, goSum []byte
	cache        mountedModules
}

// modulesOf are the modules of a dependency graph by path.
func modulesOf(g *depGraph) map[string]graphModule {
	mods := make(map[string]graphModule, len(g.Modules))
	for _, m := range g.Modules {
		mods[m.Path] = m
	}
	return mods
}

// binaryModules makes the module files and module cache of a binary that builds the packages
// of modules paths, from the graph's modules. ok is false, and the go build reads the
// project's, where the module files come from one download step, the project's go.mod names
// no go version of 1.17 or later (the go command then loads every go.mod of the graph), or
// no download layer holds a version the binary builds (go.sum does not name its zip).
func (c *converter) binaryModules(paths []string, graph map[string]graphModule) (*binaryModules, bool) {
	if c.moduleLayerOf == nil {
		return nil, false
	}
	f, ok := c.goMod()
	if !ok || !lazyLoading(f) {
		return nil, false
	}
	out, ok := goModHead(f)
	if !ok {
		return nil, false
	}
	// The go command drops the requirements of the modules it loads on excluded versions:
	// without the exclude lines it would look for them.
	for _, x := range f.Exclude {
		if out.AddExclude(x.Mod.Path, x.Mod.Version) != nil {
			return nil, false
		}
	}
	b := &binaryModules{cache: mountedModules{opts: []llb.MountOption{llb.Readonly}}}
	var goSum strings.Builder
	var fa *llb.FileAction
	at := llb.WithCreatedTime(c.opt.epoch())
	for _, p := range paths {
		m, ok := graph[p]
		if !ok || out.AddRequire(m.Path, m.Version) != nil {
			return nil, false
		}
		from := m
		if m.Replace != nil {
			from = *m.Replace
			if !replaced(f, out, m) {
				return nil, false
			}
		}
		layer, ok := c.moduleLayerOf[from.Path+"@"+from.Version]
		if !ok || !layer.sum.zip {
			return nil, false
		}
		for _, l := range layer.sum.lines {
			goSum.WriteString(l + "\n")
		}
		// Checked by parseDepGraph: the escaped forms cannot fail.
		escaped, _ := module.EscapePath(from.Path)
		for _, dir := range []string{m.cacheDir(), path.Join("cache/download", escaped, "@v")} {
			b.cache.mounts = append(b.cache.mounts, moduleMount{dir: dir, layer: layer.st})
			mkdir := llb.Mkdir("/"+dir, 0o755, llb.WithParents(true), at)
			if fa == nil {
				fa = mkdir
			} else {
				fa = fa.Mkdir("/"+dir, 0o755, llb.WithParents(true), at)
			}
		}
	}
	out.Cleanup()
	var err error
	if b.goMod, err = out.Format(); err != nil {
		return nil, false
	}
	b.goSum = []byte(goSum.String())
	b.cache.base = llb.Scratch()
	if fa != nil {
		b.cache.base = llb.Scratch().File(fa, llb.WithCustomName("[internal] the module cache's directories"))
	}
	return b, true
}

// replaced copies into out the replace line of f that replaces m by m.Replace, and reports
// whether f has one.
func replaced(f, out *modfile.File, m graphModule) bool {
	for _, r := range f.Replace {
		if r.Old.Path == m.Path && (r.Old.Version == "" || r.Old.Version == m.Version) &&
			r.New.Path == m.Replace.Path && r.New.Version == m.Replace.Version {
			return out.AddReplace(r.Old.Path, r.Old.Version, r.New.Path, r.New.Version) == nil
		}
	}
	return false
}
