package llb

import (
	"path"

	"github.com/moby/buildkit/client/llb"
)

// moduleFiles are the files that decide which modules a build needs. They reach the download
// step through their own local source, so editing a .go file never invalidates it.
var moduleFiles = []string{"go.mod", "go.sum", "go.work", "go.work.sum"}

// download runs `go mod download` on go.mod and go.sum alone. Its result is the module cache
// as a layer of its own: content-addressed, so `--cache-to` exports it and a fresh builder
// importing that cache never downloads modules again. It fetches through a persistent cache
// mount (goimage-helper download), so that on a warm builder a go.mod change fetches only
// the modules that changed.
func (c *converter) download() (llb.State, error) {
	include := make([]string, len(moduleFiles))
	for i, f := range moduleFiles {
		include[i] = path.Join(c.spec.Dir, f)
	}
	mods, err := c.opt.context(
		llb.IncludePatterns(include),
		// Its own key: sharing the full context's would make the two transfers
		// overwrite each other's copy on the daemon.
		llb.SharedKeyHint("goimage-module-files"),
		llb.WithCustomName("[internal] load go.mod and go.sum"),
	)
	if err != nil {
		return llb.State{}, err
	}
	env := c.goEnv()
	if c.spec.GoProxy != "" {
		env = setEnv(env, "GOPROXY", c.spec.GoProxy)
	}
	if c.spec.GoPrivate != "" {
		env = setEnv(env, "GOPRIVATE", c.spec.GoPrivate)
	}
	run := c.builder.Run(append(envOpts(env),
		llb.Args([]string{helperBin, "download", "-cache", modProxyDir}),
		llb.Dir(c.moduleDir()),
		llb.WithCustomName("go mod download"),
		c.location(modField(c.spec.Dir)),
	)...)
	run.AddMount(srcDir, mods, llb.Readonly)
	run.AddMount(helperDir, c.helper(), llb.Readonly)
	run.AddMount(modProxyDir, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID("modcache"), llb.CacheMountShared))
	run.AddMount(goCache, llb.Scratch(), llb.AsPersistentCacheDir(c.cacheID("gocache"), llb.CacheMountShared))
	return run.AddMount(goModCache, llb.Scratch()), nil
}

func modField(dir string) string {
	if dir != "." {
		return "dir"
	}
	return "version"
}
