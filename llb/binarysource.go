package llb

import (
	"path"
	"slices"
	"strings"

	"github.com/goimage/goimage/plan"
	"github.com/moby/buildkit/client/llb"
)

// A binary's go build reads, of the main module, only the directories of the packages its
// main package imports (their Go files, embedded files and anything below them) and the
// module files. Where the list's dependency graph says which those are, go build mounts a
// copy of just them: BuildKit keys a copy on the content it selects, so an edit of one
// binary's packages leaves the go build of every other binary cached, where the go command
// would link it again from an unchanged cache (the binaries carry no build ID, -buildid=,
// so go build never finds one up to date).

// packagesOf are the packages of a dependency graph by import path.
func packagesOf(g *depGraph) map[string]graphPackage {
	pkgs := make(map[string]graphPackage, len(g.Packages))
	for _, p := range g.Packages {
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// binarySource is what the go build of binary i mounts at srcDir: a copy of the module files
// and the directories of the main module's packages it builds, or the build context itself
// where those cannot be told (binaryDirs; and where the list reads the context: generated
// source, a vendor directory, a workspace, a replace by a directory, assembly, which may
// include from any directory), with cgo, whose C files may too, or where the binary builds
// the module's root package, whose directory holds every other.
func (c *converter) binarySource(i int, src llb.State, pkgs map[string]graphPackage) llb.State {
	dirs, ok := c.binaryDirs(c.plan.Binaries[i], pkgs)
	if !ok {
		return src
	}
	root := path.Join(".", c.plan.Spec.Dir)
	include := []string{path.Join(root, "go.mod"), path.Join(root, "go.sum")}
	for _, d := range dirs {
		include = append(include, path.Join(root, d))
	}
	return llb.Scratch().File(llb.Copy(src, "/", "/", &llb.CopyInfo{
		CopyDirContentsOnly: true,
		IncludePatterns:     include,
		CreateDestPath:      true,
		AllowEmptyWildcard:  true,
	}, llb.WithCreatedTime(c.opt.epoch())), llb.WithCustomNamef("[internal] the packages of %s", c.plan.Spec.Binaries[i].Main), c.at(c.plan.Binaries[i].MainAt))
}

// binaryDirs are the directories, relative to the module root and sorted, of the main
// module's packages that binary b builds: those its main package imports, directly or
// through other modules (the go command takes the main module's packages from its own
// directory whoever imports them). ok is false where they cannot be told: the graph lacks a
// package the build imports, the build imports the module's root package, or a flag names a
// file.
func (c *converter) binaryDirs(b plan.Binary, pkgs map[string]graphPackage) (dirs []string, ok bool) {
	if pkgs == nil || b.Package == "." || c.plan.Spec.CGO || namesFile(b.Flags) {
		return nil, false
	}
	modPath, ok := c.headersSuffice()
	if !ok || modPath == "" {
		return nil, false
	}
	main := modPath + "/" + strings.TrimPrefix(b.Package, "./")
	seen := map[string]bool{main: true}
	for queue := []string{main}; len(queue) > 0; queue = queue[1:] {
		p, ok := pkgs[queue[0]]
		if !ok {
			return nil, false // one go list could not find: go build reports it, from the context
		}
		if p.Module == "" {
			rel, ok := strings.CutPrefix(p.ImportPath, modPath+"/")
			if !ok {
				return nil, false // the root package, or one of a module replaced by a directory
			}
			dirs = append(dirs, rel)
		}
		for _, imp := range p.Imports {
			if !seen[imp] {
				seen[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	slices.Sort(dirs)
	return dirs, true
}
