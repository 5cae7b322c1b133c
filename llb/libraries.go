package llb

import (
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
)

// A binary's libraries, the main module's packages its main package imports, compile in a
// step of their own into a layer that go build reads. The build cache mount, which holds
// them on a warm builder, is never exported: on a fresh builder importing the cache, go build
// compiled every library again after any edit (4 of the 5 s of a mikefarah/yq build after an
// edit of its main package). The step reads a copy of the libraries' directories and the
// module files alone, so an edit of the main package leaves it cached and go build compiles
// that package alone. Like the dependency steps, it reads layers alone, never the cache mount
// (see the cache program): its layer holds every library, whichever builder made it, and
// nothing another build wrote to the mount. So an edit of one library compiles every library
// of the binary again, on a warm builder too.

// libCacheDir is where go build reads the layer of its binary's libraries.
const libCacheDir = "/goimage/libcache"

// compileLibraries is the layer of binary i's libraries (pkgs.libs), compiled over the
// dependency layers deps, or nil where they do not compile apart: the binary imports none of
// the main module's packages, or they cannot be told (binaryDirs); the directory of one holds
// the main package's, so that their copy would change with every edit of it; or the flags
// would compile them otherwise here than in go build (libraryFlagsAgree). src is the build
// context, modCache the module cache, own the binary's own module files and cache, if any.
func (c *converter) compileLibraries(i int, src, modCache llb.State, deps depLayers, pkgs binaryPackages, own *binaryModules) *llb.State {
	b := c.plan.Binaries[i]
	goflags, _ := lookupEnv(c.offlineEnv(), "GOFLAGS")
	if len(pkgs.libs) == 0 || !libraryFlagsAgree(b.Gcflags, b.Flags, goflags) {
		return nil
	}
	var dirs []string
	for _, d := range pkgs.dirs {
		if d == pkgs.mainDir {
			continue
		}
		if d == "." || strings.HasPrefix(pkgs.mainDir+"/", d+"/") {
			return nil
		}
		dirs = append(dirs, d)
	}
	mounted := c.mountedModCache
	if own != nil {
		mounted = &own.cache
	}
	if mounted != nil {
		modCache = mounted.base
	}
	env := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg("-ro", depCacheDir, "-ro", stdCacheDir, "-out", libCacheDir, "-stats"))
	// go build's own flags but -ldflags and -o, which only the link reads: the libraries
	// compile to the actions go build looks up.
	args := append([]string{"go", "build", "-trimpath", "-buildvcs=false"}, b.CompileFlags()...)
	run := c.offlineGoRun(c.goRunRoot(), env, inWorkspace(append(args, pkgs.libs...)), c.moduleDir(), modCache,
		llb.WithCustomNamef("compile the packages %s imports %s", c.plan.Spec.Binaries[i].Main, platforms.Format(c.target)), c.at(b.MainAt))
	if mounted != nil {
		mounted.mount(run)
	}
	// Keyed on the step that made the copy, as go build's own copy is (compile).
	run.AddMount(srcDir, c.packagesCopy(src, dirs, own, "the packages %s imports", i), c.readOnlyKeyedOnStep()...)
	run.AddMount(depCacheDir, deps.modules, llb.Readonly)
	run.AddMount(stdCacheDir, deps.std, llb.Readonly)
	out := run.AddMount(libCacheDir, llb.Scratch())
	return &out
}

// libraryFlagsAgree reports whether go build compiles the libraries with the flags the step
// gives them: not where a -gcflags or -asmflags value (gcflags, or among flags and goflags)
// names no package pattern, since the go command applies it to the packages on its command
// line alone (the main package in go build, the libraries in the step), nor with a
// -buildmode, since -buildmode=exe keeps only the main packages of a command line.
func libraryFlagsAgree(gcflags, flags []string, goflags string) bool {
	for _, v := range gcflags {
		if !patterned(v) {
			return false
		}
	}
	for _, f := range flagsOf(append(slices.Clone(flags), strings.Fields(goflags)...)) {
		switch name, value := f[0], f[1]; name {
		case "gcflags", "asmflags":
			if !patterned(value) {
				return false
			}
		case "buildmode":
			return false
		}
	}
	return true
}

// patterned reports whether a per-package flag value names its packages (pattern=flags, as
// "all=-N -l").
func patterned(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && v[0] != '-'
}
