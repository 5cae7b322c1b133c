package llb

import (
	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
)

// defaultPath is the builder's PATH when its configuration is unknown: the golang image's.
const defaultPath = "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// inWorkspace runs a go command through goimage-helper workspace, which gives it a writable
// copy of the module root's go.work, if there is one: in workspace mode the go command writes
// missing checksums to go.work.sum, and the source is mounted read-only.
func inWorkspace(args []string) []string {
	return append([]string{helperBin, "workspace", "--"}, args...)
}

// compile builds binary i for the target platform on the build platform: the compiler never
// runs under emulation. The source, module cache and dependency cache are read-only, the
// network is off, and the binary leaves through an output mount on scratch, never a snapshot
// of the builder.
func (c *converter) compile(i int, context, modCache llb.State, deps depLayers) llb.State {
	b := c.plan.Binaries[i]
	src, copied, own, pkgs := c.binarySource(i, context, deps)
	libs := c.compileLibraries(i, context, modCache, deps, pkgs, own)
	mounted := c.mountedModCache
	if own != nil {
		mounted = &own.cache
	}
	if mounted != nil {
		modCache = mounted.base
	}
	srcOpts := []llb.MountOption{llb.Readonly}
	if copied {
		// The copy's key follows the content it copied: hashing the copy again took 0.08 s
		// of a mikefarah/yq edit.
		srcOpts = c.readOnlyKeyedOnStep()
	}
	prog := []string{"-ro", depCacheDir, "-ro", stdCacheDir}
	if libs != nil {
		prog = append(prog, "-ro", libCacheDir)
	}
	env := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg(append(prog, "-stats")...))
	run := c.offlineGoRun(c.goRunRoot(), env, inWorkspace(b.BuildArgs(outDir)), c.moduleDir(), modCache,
		llb.WithCustomNamef("go build %s %s", c.plan.Spec.Binaries[i].Main, platforms.Format(c.target)), c.at(b.MainAt))
	if mounted != nil {
		mounted.mount(run)
	}
	run.AddMount(srcDir, src, srcOpts...)
	run.AddMount(depCacheDir, deps.modules, llb.Readonly)
	run.AddMount(stdCacheDir, deps.std, llb.Readonly)
	if libs != nil {
		run.AddMount(libCacheDir, *libs, llb.Readonly)
	}
	if deps.graph != nil {
		run.AddMount(graphDir, *deps.graph, llb.Readonly)
	}
	return run.AddMount(outDir, llb.Scratch())
}
