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
//
// With the copy goes the binary's own go.mod and go.sum, and its own module cache
// (binaryModules), where they can be made: a go.mod change that leaves the binary's modules
// alone (a test or tool dependency, another binary's) then leaves its go build cached too. A
// binary that builds the root package then reads a copy of the whole module directory but
// its go.mod and go.sum.
//
// copied says the source is a copy: BuildKit keys a copy on the content it copies, so go build
// need not hash the copy's files again to key its mount of it (mountSource).
func (c *converter) binarySource(i int, src llb.State, deps depLayers) (_ llb.State, copied bool, _ *binaryModules, _ binaryPackages) {
	pkgs, ok := c.binaryDirs(c.plan.Binaries[i], deps.pkgs)
	if !ok {
		return src, false, nil, binaryPackages{}
	}
	own, hasOwn := c.binaryModules(pkgs.mods, deps.mods)
	if !hasOwn {
		own = nil
	}
	whole := slices.Contains(pkgs.dirs, ".")
	if whole && own == nil {
		return src, false, nil, pkgs
	}
	return c.packagesCopy(src, pkgs.dirs, own, "the packages of %s", i), true, own, pkgs
}

// packagesCopy is a copy of the directories dirs of the main module (relative to its root;
// "." is the whole module directory but its go.mod and go.sum) and of the module files, own's
// where it is given, for binary i: name is the copy's name, with the binary's main package.
func (c *converter) packagesCopy(src llb.State, dirs []string, own *binaryModules, name string, i int) llb.State {
	root := path.Join(".", c.plan.Spec.Dir)
	info := &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true, AllowEmptyWildcard: true}
	switch {
	case slices.Contains(dirs, "."):
		if root != "." {
			info.IncludePatterns = []string{root}
		}
		info.ExcludePatterns = []string{path.Join(root, "go.mod"), path.Join(root, "go.sum")}
	default:
		if own == nil {
			info.IncludePatterns = []string{path.Join(root, "go.mod"), path.Join(root, "go.sum")}
		}
		for _, d := range dirs {
			info.IncludePatterns = append(info.IncludePatterns, path.Join(root, d))
		}
	}
	at := llb.WithCreatedTime(c.opt.epoch())
	fa := llb.Copy(src, "/", "/", info, at)
	if own != nil {
		fa = fa.Mkfile(path.Join("/", root, "go.mod"), 0o644, own.goMod, at).
			Mkfile(path.Join("/", root, "go.sum"), 0o644, own.goSum, at)
	}
	return llb.Scratch().File(fa, llb.WithCustomNamef("[internal] "+name, c.plan.Spec.Binaries[i].Main), c.at(c.plan.Binaries[i].MainAt))
}

// binaryPackages are the main module's packages a binary builds (binaryDirs).
type binaryPackages struct {
	// dirs are their directories, relative to the module root and sorted; "." is the root
	// package.
	dirs []string
	// mainDir is the main package's, among dirs; libs the import paths of the others, sorted.
	mainDir string
	libs    []string
	// mods are the paths of the other modules whose packages the binary builds, sorted.
	mods []string
}

// binaryDirs are the main module's packages that binary b builds: those its main package
// imports, directly or through other modules (the go command takes the main module's
// packages from its own directory whoever imports them), and the other modules whose
// packages it builds. ok is false where they cannot be told: the graph lacks a package the
// build imports, or a flag names a file.
func (c *converter) binaryDirs(b plan.Binary, pkgs map[string]graphPackage) (_ binaryPackages, ok bool) {
	if pkgs == nil || c.plan.Spec.CGO || namesFile(b.Flags) {
		return binaryPackages{}, false
	}
	modPath, ok := c.headersSuffice()
	if !ok || modPath == "" {
		return binaryPackages{}, false
	}
	var out binaryPackages
	main := path.Join(modPath, b.Package)
	seen := map[string]bool{main: true}
	for queue := []string{main}; len(queue) > 0; queue = queue[1:] {
		p, ok := pkgs[queue[0]]
		if !ok {
			return binaryPackages{}, false // one go list could not find: go build reports it, from the context
		}
		if p.Module == "" {
			rel, ok := strings.CutPrefix(p.ImportPath, modPath+"/")
			switch {
			case p.ImportPath == modPath:
				rel = "."
			case !ok:
				return binaryPackages{}, false // a package of a module replaced by a directory
			}
			out.dirs = append(out.dirs, rel)
			if p.ImportPath == main {
				out.mainDir = rel
			} else {
				out.libs = append(out.libs, p.ImportPath)
			}
		} else if !slices.Contains(out.mods, p.Module) {
			out.mods = append(out.mods, p.Module)
		}
		for _, imp := range p.Imports {
			if !seen[imp] {
				seen[imp] = true
				queue = append(queue, imp)
			}
		}
	}
	slices.Sort(out.dirs)
	slices.Sort(out.libs)
	slices.Sort(out.mods)
	return out, true
}
