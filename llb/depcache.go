package llb

import (
	"fmt"
	"path"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
)

// A dependency cache is the part of the build cache that compiles the packages the main
// module imports from elsewhere (other modules and the standard library). It is a layer of
// its own, so that `--cache-to` exports it and a fresh builder importing that cache compiles
// only the main module: cache mounts are never exported (moby/buildkit#1474).
//
// Two steps make it:
//   - list: goimage-helper deps writes a package importing every dependency of the main
//     packages, with a go.mod requiring exactly the modules that provide them. It runs on
//     every source edit and is cheap.
//   - compile: go build of that package, through the helper's GOCACHEPROG, which serves the
//     persistent cache mount and copies every entry used into the layer. It reads the
//     list's output through a read-only mount, which BuildKit keys on content: when an edit
//     leaves the imports alone, the list's bytes are the same and the compile step is a
//     cache hit, on a warm builder and on a fresh one importing the cache alike.
//
// The go build step then reads the layer through the same GOCACHEPROG, read-only, on top of
// the cache mount: a warm builder keeps its whole cache, a fresh one starts with the layer.

// depGroup is a set of binaries whose dependencies compile alike: the same tags, gcflags and
// extra flags.
type depGroup struct {
	flags []string // compileFlags
	tags  string
	mains []string
}

// depGroups splits the spec's binaries by build configuration, in the order they appear.
func (c *converter) depGroups() (groups []*depGroup, ofBinary []int) {
	byKey := map[string]int{}
	for _, b := range c.spec.Binaries {
		flags := c.compileFlags(b)
		key := strings.Join(flags, "\x00")
		i, ok := byKey[key]
		if !ok {
			i = len(groups)
			byKey[key] = i
			groups = append(groups, &depGroup{flags: flags, tags: strings.Join(c.tags(b), ",")})
		}
		groups[i].mains = append(groups[i].mains, b.Package())
		ofBinary = append(ofBinary, i)
	}
	return groups, ofBinary
}

// depCache returns the dependency cache layer of one group, for the target platform.
func (c *converter) depCache(g *depGroup, field string, src, modCache, vendored llb.State) llb.State {
	env := c.offlineEnv()
	what := strings.Join(g.mains, " ")
	target := platforms.Format(c.target)

	listArgs := []string{helperBin, "deps", "-o", depsDir, "-tags", g.tags}
	if c.spec.Vendor {
		listArgs = append(listArgs, "-vendor")
	}
	list := c.offlineGoRun(c.goRunRoot(), env, append(listArgs, g.mains...),
		c.moduleDir(), modCache,
		llb.WithCustomNamef("list the dependencies of %s %s", what, target), c.location(field))
	list.AddMount(srcDir, src, llb.Readonly)
	imports := list.AddMount(depsDir, llb.Scratch())

	// A module's own go.mod: -mod=mod with the checksum database off, since the generated
	// go.mod has no go.sum and the go command writes one from the module cache, which the
	// download step verified. A vendored module: the package compiles inside a copy of the
	// main module's go.mod and vendor directory, as -mod=vendor needs.
	args := []string{helperBin, "warm"}
	if c.spec.Vendor {
		args = append(args, "-copy", vendorDir)
	}
	args = append(args, "-copy", depsDir, "--", "go", "build")
	if !c.spec.Vendor {
		args = append(args, "-mod=mod")
	}
	args = append(args, "-trimpath")
	compileEnv := setEnv(env, "GOCACHEPROG", cacheProg("-out", depCacheDir))
	compileEnv = setEnv(compileEnv, "GOSUMDB", "off")
	compileEnv = setEnv(compileEnv, "GOWORK", "off")
	compile := c.offlineGoRun(c.goRunRoot(), compileEnv, append(append(args, g.flags...), "./goimagedeps"), depsDir, modCache,
		llb.WithCustomNamef("compile the dependencies of %s %s", what, target), c.location(field))
	compile.AddMount(depsDir, imports, llb.Readonly)
	if c.spec.Vendor {
		compile.AddMount(vendorDir, vendored, llb.Readonly, llb.SourcePath(path.Join("/", c.spec.Dir)))
	}
	return compile.AddMount(depCacheDir, llb.Scratch())
}

// offlineGoRun runs a go command of the user's build on root: the network off, the module
// cache read-only, goimage-helper and the persistent build cache mounted.
func (c *converter) offlineGoRun(root llb.State, env, args []string, dir string, modCache llb.State, opts ...llb.RunOption) llb.ExecState {
	run := root.Run(append(append(envOpts(env), llb.Args(args), llb.Dir(dir), llb.Network(llb.NetModeNone)), opts...)...)
	run.AddMount(goModCache, modCache, llb.Readonly)
	run.AddMount(helperDir, c.helper(), llb.Readonly)
	run.AddMount(goCache, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID("gocache"), llb.CacheMountShared))
	return run
}

// cacheProg is the GOCACHEPROG value that runs the helper's cache program on the persistent
// build cache, with extra flags.
func cacheProg(flags ...string) string {
	return fmt.Sprintf("%s cacheprog -dir %s %s", helperBin, goCache, strings.Join(flags, " "))
}
