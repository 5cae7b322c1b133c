package llb

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
)

// A dependency cache is the part of the build cache that compiles the packages the main
// module imports from elsewhere (other modules and the standard library). It is a layer of
// its own, so that `--cache-to` exports it and a fresh builder importing that cache compiles
// only the main module: cache mounts are never exported (moby/buildkit#1474).
//
// Four steps make it:
//   - list: goimage-helper deps writes a package importing every dependency of the main
//     packages, with a go.mod requiring exactly the modules that provide them, and a module
//     of its own importing the standard library packages among them. It runs on every
//     source edit and is cheap.
//   - standard library: go build of the second, through the helper's GOCACHEPROG, into a
//     layer. It reads nothing of the build but that list (read-only, which BuildKit keys on
//     content), so it is cached until the standard library packages, the toolchain or the
//     flags change: a go.mod change never compiles the standard library again.
//   - required modules: a copy of the modules the list's go.mod requires, out of the module
//     cache (goimage-helper modules).
//   - dependencies: go build of the first, reading the standard library layer, into a layer
//     of what it compiled. It reads the list and the required modules read-only: when an
//     edit leaves the imports alone, or a go.mod change leaves the required modules alone, it
//     is a cache hit, on a warm builder and on a fresh one importing the cache alike.
//
// Both compile steps write the persistent cache mount but never read it: a layer goes to
// other builders, and an entry of the mount maps an action to an output on the word of any
// build on the daemon (see the cache program). The go build step then reads both layers
// through the same GOCACHEPROG, read-only, under the cache mount: a warm builder keeps its
// whole cache, a fresh one starts with the layers.

// depGroup is a set of binaries whose dependencies compile alike: the same tags, gcflags and
// extra flags.
type depGroup struct {
	flags []string // plan.Binary.CompileFlags
	tags  string
	mains []string
}

// depGroups splits the spec's binaries by build configuration, in the order they appear.
func (c *converter) depGroups() (groups []*depGroup, ofBinary []int) {
	byKey := map[string]int{}
	for _, b := range c.plan.Binaries {
		flags := b.CompileFlags()
		key := strings.Join(flags, "\x00")
		i, ok := byKey[key]
		if !ok {
			i = len(groups)
			byKey[key] = i
			groups = append(groups, &depGroup{flags: flags, tags: strings.Join(b.Tags, ",")})
		}
		groups[i].mains = append(groups[i].mains, b.Package)
		ofBinary = append(ofBinary, i)
	}
	return groups, ofBinary
}

// depLayers are the compiled dependencies of a group: the standard library's, and the
// modules' on top of them.
type depLayers struct {
	std, modules llb.State
	// graph is the list's dependency graph, when the modules compile in steps of their own:
	// go build mounts it, though it reads nothing of it, so that an exported cache carries
	// it and the frontend of a fresh builder reads it from there rather than running the
	// list (BuildKit exports the outputs the build's steps read, not the ones the frontend
	// read).
	graph *llb.State
	// pkgs are graph's packages by import path (packagesOf), nil without a graph.
	pkgs map[string]graphPackage
	// mods are graph's modules by path (modulesOf), nil without a graph.
	mods map[string]graphModule
}

// listedGroup is a group's list step and what follows from it before the frontend reads
// the list's dependency graph: the reads of every group's graph are in flight together
// (examples/multi's two read one after the other took 0.03 s of its build on a fresh
// builder).
type listedGroup struct {
	g                   *depGroup
	field, what, target string
	imports, std        llb.State
	// graph is the list's dependency graph and read its read, started by listDeps, when the
	// modules compile in steps of their own (moduleCompilesOK); read is nil otherwise.
	graph llb.State
	read  *pending[graphFileRead]
}

// graphFileRead is the outcome of reading a list's graph file.
type graphFileRead struct {
	data []byte
	err  error
}

// listDeps is the list step of one group, for the target platform, with its standard library
// layer, and starts the read of its dependency graph.
func (c *converter) listDeps(ctx context.Context, g *depGroup, field string, src, modCache llb.State, firstStd *llb.State) *listedGroup {
	l := &listedGroup{g: g, field: field, what: strings.Join(g.mains, " "), target: platforms.Format(c.target)}
	listArgs := []string{helperBin, "deps", "-o", depsDir, "-std", stdDir, "-tags", g.tags}
	if c.plan.Spec.Vendor {
		listArgs = append(listArgs, "-vendor")
	}
	perModule := c.moduleCompilesOK()
	if perModule {
		listArgs = append(listArgs, "-graph", path.Join(graphDir, graphFile))
	}
	listModCache, mounted := modCache, c.mountedModCache
	switch {
	case c.listGoMod() != nil:
		listModCache, mounted = llb.Scratch(), nil
	case mounted != nil:
		listModCache = mounted.base
	}
	list := c.offlineGoRun(c.goRunRoot(), c.offlineEnv(), inWorkspace(append(listArgs, g.mains...)),
		c.moduleDir(), listModCache,
		llb.WithCustomNamef("list the dependencies of %s %s", l.what, l.target), c.location(field))
	if mounted != nil {
		mounted.mount(list)
	}
	list.AddMount(srcDir, c.listSource(src), llb.Readonly)
	l.imports = list.AddMount(depsDir, llb.Scratch())
	l.std = c.stdCache(g, field, list.AddMount(stdDir, llb.Scratch()), l.what, l.target, firstStd)
	if perModule {
		l.graph = list.AddMount(graphDir, llb.Scratch())
		reader := c.opt.Reader
		l.read = startPending(func() graphFileRead {
			data, err := reader.ReadFile(ctx, l.graph, graphFile)
			return graphFileRead{data, err}
		})
	}
	return l
}

// depCache returns the dependency cache layers of a listed group.
func (c *converter) depCache(l *listedGroup, modCache, vendored llb.State) (depLayers, error) {
	g, field, what, target, imports, std := l.g, l.field, l.what, l.target, l.imports, l.std
	if l.read != nil {
		modules, dg, err := c.moduleCompiles(g, field, l.read.get(), modCache, std, what, target)
		if err != nil && !errors.Is(err, errNoGraph) {
			return depLayers{}, err
		}
		if err == nil {
			return depLayers{std: std, modules: modules, graph: &l.graph, pkgs: packagesOf(dg), mods: modulesOf(dg)}, nil
		}
	}

	// A module's own go.mod: -mod=mod with the checksum database off, since the generated
	// go.mod has no go.sum and the go command writes one from the module cache, which the
	// download step verified. A vendored module: the package compiles inside a copy of the
	// main module's go.mod and vendor directory, as -mod=vendor needs.
	args := []string{helperBin, "warm"}
	if c.plan.Spec.Vendor {
		args = append(args, "-copy", vendorDir)
	}
	args = append(args, "-copy", depsDir, "--", "go", "build")
	if !c.plan.Spec.Vendor {
		args = append(args, "-mod=mod")
	}
	args = append(args, "-trimpath")
	compileEnv := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg("-ro", stdCacheDir, "-out", depCacheDir, "-stats"))
	compileEnv = setEnv(compileEnv, "GOSUMDB", "off")
	compileEnv = setEnv(compileEnv, "GOWORK", "off")
	if !c.plan.Spec.Vendor {
		modCache = c.requiredModules(imports, modCache, what, target, field)
	}
	compile := c.offlineGoRun(c.goRunRoot(), compileEnv, append(append(args, g.flags...), "./goimagedeps"), depsDir, modCache,
		llb.WithCustomNamef("compile the dependencies of %s %s", what, target), c.location(field))
	compile.AddMount(depsDir, imports, llb.Readonly)
	compile.AddMount(stdCacheDir, std, llb.Readonly)
	if c.plan.Spec.Vendor {
		compile.AddMount(vendorDir, vendored, llb.Readonly, llb.SourcePath(path.Join("/", c.plan.Spec.Dir)))
	}
	return depLayers{std: std, modules: compile.AddMount(depCacheDir, llb.Scratch())}, nil
}

// requiredModules is the part of the module cache that the dependency list's go.mod
// requires (goimage-helper modules), a layer of its own. The dependency compile reads it in
// place of the whole cache, so a go.mod change that adds or bumps only modules the build
// does not import (test and tool dependencies) leaves its input, and so its result, the same.
func (c *converter) requiredModules(list, modCache llb.State, what, target, field string) llb.State {
	run := c.goRunRoot().Run(append(envOpts(c.offlineEnv()),
		llb.Args([]string{helperBin, "modules", "-o", modulesDir, path.Join(depsDir, "go.mod")}),
		llb.Dir(depsDir),
		llb.Network(llb.NetModeNone),
		llb.WithCustomNamef("select the modules of %s %s", what, target),
		c.location(field),
	)...)
	c.mountHelper(run)
	run.AddMount(depsDir, list, llb.Readonly)
	c.mountModuleCache(run, modCache)
	return run.AddMount(modulesDir, llb.Scratch())
}

// stdCache compiles the standard library packages of list (goimage-helper deps -std) with
// the group's flags into a layer. It mounts an empty module cache: nothing of the build but
// the list reaches it. A later group's reads the first group's layer, firstStd: on two
// cores, compiling the standard library twice side by side took twice as long as once. A
// standard library compiled ahead (Options.Stdlib) is read too: a cold build then copies
// those packages into the layer instead of compiling them.
func (c *converter) stdCache(g *depGroup, field string, list llb.State, what, target string, firstStd *llb.State) llb.State {
	// What the helper's build and the first group's compiled counts as computed here: the
	// layer holds every entry the step used, so the steps after it read this layer alone.
	prog := []string{"-ro", helperCacheDir}
	if firstStd != nil {
		prog = append(prog, "-ro", firstStdCacheDir)
	}
	stdlib, prebuilt := c.stdlib()
	if prebuilt {
		prog = append(prog, "-ro", stdlibDir)
	}
	env := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg(append(prog, "-used", "-out", stdCacheDir, "-stats")...))
	env = setEnv(env, "GOWORK", "off")
	// -mod=mod over a GOFLAGS -mod=vendor: this module has no vendor directory.
	args := []string{helperBin, "warm", "-copy", stdDir, "--", "go", "build", "-mod=mod", "-trimpath"}
	args = append(append(args, g.flags...), "./goimagestd")
	run := c.offlineGoRun(c.goRunRoot(), env, args, stdDir, llb.Scratch(),
		llb.WithCustomNamef("compile the standard library of %s %s", what, target), c.location(field))
	run.AddMount(stdDir, list, llb.Readonly)
	run.AddMount(helperCacheDir, c.helperCache(), llb.Readonly)
	if firstStd != nil {
		run.AddMount(firstStdCacheDir, *firstStd, llb.Readonly)
	}
	if prebuilt {
		run.AddMount(stdlibDir, stdlib, llb.Readonly)
	}
	return run.AddMount(stdCacheDir, llb.Scratch())
}

// offlineGoRun runs a go command of the user's build on root: the network off, the module
// cache read-only, goimage-helper and the persistent build cache mounted, and the build
// cache served by the helper's cache program unless env names one already.
func (c *converter) offlineGoRun(root llb.State, env, args []string, dir string, modCache llb.State, opts ...llb.RunOption) llb.ExecState {
	if _, ok := lookupEnv(env, "GOCACHEPROG"); !ok {
		env = setEnv(env, "GOCACHEPROG", cacheProg())
	}
	run := root.Run(append(append(envOpts(env), llb.Args(args), llb.Dir(dir), llb.Network(llb.NetModeNone)), opts...)...)
	c.mountModuleCache(run, modCache)
	c.mountBuildCache(run)
	return run
}

// mountModuleCache mounts the module cache read-only, keyed on the step that made it. BuildKit
// keys a read-only mount on the content it selects when the step's own key misses: after a
// go.mod change it hashed every file of the new module cache before the list could start
// (0.41 s of a 2.09 s mikefarah/yq build). The module cache's key already follows what it
// holds, the go.sum lines its download steps verify, so the hash bought nothing.
func (c *converter) mountModuleCache(run llb.ExecState, modCache llb.State) {
	run.AddMount(goModCache, modCache, c.readOnlyKeyedOnStep()...)
}

// readOnlyKeyedOnStep are the options of a read-only mount of a state whose key already
// follows its content: BuildKit then need not hash its files to key the step that mounts it.
// A daemon older than BuildKit v0.13 hashes them.
func (c *converter) readOnlyKeyedOnStep() []llb.MountOption {
	if !c.opt.supports(pb.CapExecMountContentCache) {
		return []llb.MountOption{llb.Readonly}
	}
	return []llb.MountOption{llb.Readonly, llb.ContentCache(llb.MountContentCacheOff)}
}

// mountBuildCache mounts the persistent build cache that every build on the daemon shares,
// and goimage-helper, whose cache program (GOCACHEPROG, cacheProg) verifies every output it
// serves from there: the go command's own cache checks only an output's size, so one
// corrupted file would break every later build that reads it.
func (c *converter) mountBuildCache(run llb.ExecState) {
	c.mountHelper(run)
	c.mountGoCache(run)
}

// mountGoCache mounts the persistent build cache alone, in a step that mounts the helper
// already.
func (c *converter) mountGoCache(run llb.ExecState) {
	run.AddMount(goCache, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID("gocache"), llb.CacheMountShared))
}

// cacheProg is the GOCACHEPROG value that runs the helper's cache program on the persistent
// build cache, with extra flags.
func cacheProg(flags ...string) string {
	return strings.Join(append([]string{helperBin, "cacheprog", "-dir", goCache}, flags...), " ")
}
