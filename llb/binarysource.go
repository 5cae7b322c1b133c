package llb

import (
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"golang.org/x/mod/modfile"
)

// A binary's go build reads, of the main module, only the directories of the packages its
// main package imports (their Go files, embedded files and anything below them) and the
// module files. Where the list's dependency graph says which those are, go build mounts a
// copy of just them: BuildKit keys a copy on the content it selects, so an edit of one
// binary's packages leaves the go build of every other binary cached, where the go command
// would link it again from an unchanged cache (the binaries carry no build ID, -buildid=,
// so go build never finds one up to date).

// localImports are the local packages of a dependency graph (those of the main module) and
// the packages they import, by import path.
func localImports(g *depGraph) map[string][]string {
	local := map[string][]string{}
	for _, p := range g.Packages {
		if p.Module == "" {
			local[p.ImportPath] = p.Imports
		}
	}
	return local
}

// binarySource is what the go build of binary i mounts at srcDir: a copy of the module files
// and the directories of the main module's packages it builds, or the build context itself
// where the graph cannot say (no graph, generated source, a workspace, a replace by a
// directory, cgo's C files, which may include from anywhere) or the binary builds the
// module's root package, whose directory holds every other.
func (c *converter) binarySource(i int, src llb.State, local map[string][]string) llb.State {
	dirs, ok := c.binaryDirs(c.plan.Binaries[i].Package, local)
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
// module's packages that the main package pkg ("./cmd/app") imports, itself included.
func (c *converter) binaryDirs(pkg string, local map[string][]string) ([]string, bool) {
	if local == nil || pkg == "." || c.plan.Spec.CGO || !c.headersSuffice() {
		return nil, false
	}
	modPath := modfile.ModulePath(c.opt.ModuleFiles[path.Join(".", c.plan.Spec.Dir, "go.mod")])
	if modPath == "" {
		return nil, false
	}
	main := modPath + "/" + strings.TrimPrefix(pkg, "./")
	if _, ok := local[main]; !ok {
		return nil, false // not in the graph: go build reports what it is
	}
	seen := map[string]bool{main: true}
	var dirs []string
	for queue := []string{main}; len(queue) > 0; queue = queue[1:] {
		rel, ok := strings.CutPrefix(queue[0], modPath+"/")
		if !ok {
			return nil, false // the root package, or another module's local package
		}
		dirs = append(dirs, rel)
		for _, imp := range local[queue[0]] {
			if _, isLocal := local[imp]; isLocal && !seen[imp] {
				seen[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	slices.Sort(dirs)
	return dirs, true
}
