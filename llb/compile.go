package llb

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
)

// defaultPath is the builder's PATH when its configuration is unknown: the golang image's.
const defaultPath = "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseLdflags strip the symbol table and DWARF data and drop the build id, which would
// otherwise differ between identical builds.
const baseLdflags = "-s -w -buildid="

// compile builds binary i for the target platform on the build platform: the compiler never
// runs under emulation. The source, module cache and dependency cache are read-only, the
// network is off, and the binary leaves through an output mount on scratch, never a snapshot
// of the builder.
func (c *converter) compile(i int, src, modCache llb.State, deps depLayers) llb.State {
	b := c.spec.Binaries[i]
	field := fmt.Sprintf("binaries[%d]", i)
	env := setEnv(c.offlineEnv(), "GOCACHEPROG", cacheProg("-ro", depCacheDir, "-ro", stdCacheDir))
	run := c.offlineGoRun(c.goRunRoot(), env, c.buildArgs(b), c.moduleDir(), modCache,
		llb.WithCustomNamef("go build %s %s", b.Main, platforms.Format(c.target)), c.location(field+".main"))
	run.AddMount(srcDir, src, llb.Readonly)
	run.AddMount(depCacheDir, deps.modules, llb.Readonly)
	run.AddMount(stdCacheDir, deps.std, llb.Readonly)
	return run.AddMount(outDir, llb.Scratch())
}

// buildArgs is the go build command line. Every value is its own argv element: nothing
// from the spec ever passes through a shell.
func (c *converter) buildArgs(b spec.Binary) []string {
	args := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", c.ldflags(b)}
	args = append(args, c.compileFlags(b)...)
	return append(args, "-o", path.Join(outDir, b.Name), b.Package())
}

// compileFlags are the flags that decide how packages compile, so the dependency cache of a
// binary is built with them too: tags, gcflags and the spec's extra flags. Each gcflags
// entry is one -gcflags argument, its build args expanded by spec.GcflagsValue; an entry
// left with no flags passes none. An entry checkFlags refuses is left out.
func (c *converter) compileFlags(b spec.Binary) []string {
	var args []string
	if tags := c.tags(b); len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	gcflags, _ := c.gcflags(b)
	for _, v := range gcflags {
		args = append(args, "-gcflags", v)
	}
	return append(args, b.Flags...)
}

// tags are a binary's build tags, with timetzdata when the spec embeds the time zones.
func (c *converter) tags(b spec.Binary) []string {
	tags := b.Tags
	if c.spec.TZData && !slices.Contains(tags, "timetzdata") {
		tags = append(slices.Clone(tags), "timetzdata")
	}
	return tags
}
