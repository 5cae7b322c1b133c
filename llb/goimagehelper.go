package llb

import (
	"crypto/sha256"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/goimage/goimage/plan"
	"github.com/moby/buildkit/client/llb"
)

// helperSource is the goimage-helper command (llb/helper), built in the graph for the build
// platform so that it runs in any builder image.
//
//go:embed helper/main.go helper/deps.go helper/graph.go helper/modules.go helper/download.go helper/fetch.go helper/modverify.go helper/credentials.go helper/cacheprog.go helper/diskcache.go helper/warm.go helper/workspace.go helper/sbom.go helper/toolchain.go
var helperSource embed.FS

// Where the helper and the dependency cache live inside the builder.
const (
	helperDir   = "/goimage/bin"
	helperBin   = helperDir + "/goimage-helper"
	helperSrc   = "/goimage/helper"
	depsDir     = "/goimage/deps"
	depCacheDir = "/goimage/depcache"
	stdDir      = "/goimage/std"
	modulesDir  = "/goimage/modules"
	stdCacheDir = "/goimage/stdcache"
	// firstStdCacheDir is where a later group's standard-library step reads the first's.
	firstStdCacheDir = "/goimage/stdcache0"
	// helperCacheDir is where the standard-library step reads the build cache of the
	// helper's own build.
	helperCacheDir = "/goimage/helpercache"
	modProxyDir    = "/goimage/modproxy"
	vendorDir      = "/goimage/vendor"
	// stdlibDir is where the standard library step reads the one compiled ahead.
	stdlibDir = "/goimage/stdlib"
	// toolchainDir is where the toolchain step writes its layer.
	toolchainDir = "/goimage/toolchain"
)

// helperGoMod asks for nothing newer than the go list flags the helper uses.
const helperGoMod = "module goimage-helper\n\ngo 1.19\n"

// HelperDir is where an image built ahead keeps goimage-helper for this package's helper
// source: a directory named by the source's digest, so that a frontend uses a prebuilt
// helper only when it was built from the very source the frontend embeds.
func HelperDir() string { return prebuiltHelperDir() }

// prebuiltHelperDir hashes the embedded source once: the frontend asks on every build.
var prebuiltHelperDir = sync.OnceValue(func() string {
	names, _ := fs.Glob(helperSource, "helper/*.go") // sorted; the pattern is constant and valid
	h := sha256.New()
	for _, name := range names {
		data, _ := helperSource.ReadFile(name) // embedded: cannot fail
		h.Write(data)
	}
	return fmt.Sprintf("/goimage/helper/%x", h.Sum(nil)[:8])
})

// mountHelper mounts goimage-helper, read-only, at helperDir.
func (c *converter) mountHelper(run llb.ExecState) {
	if h := c.opt.Helper; h != nil {
		// BuildKit keys a read-only mount with a selector on that directory's content: the
		// steps stay cached across frontend images that carry the same helper.
		run.AddMount(helperDir, h.State, llb.Readonly, llb.SourcePath(h.Dir))
		return
	}
	run.AddMount(helperDir, c.helper(), llb.Readonly)
}

// helper builds goimage-helper once per builder image: its key is the source and the builder,
// so it is a cache hit in every later build and exported with the rest of the cache.
func (c *converter) helper() llb.State {
	if c.helperState != nil {
		return *c.helperState
	}
	epoch := c.opt.epoch()
	files := llb.Mkfile("go.mod", 0o644, []byte(helperGoMod), llb.WithCreatedTime(epoch))
	names, _ := fs.Glob(helperSource, "helper/*.go") // the pattern is constant and valid
	for _, name := range names {
		data, _ := helperSource.ReadFile(name) // embedded: cannot fail
		files = files.Mkfile(path.Base(name), 0o644, data, llb.WithCreatedTime(epoch))
	}
	src := llb.Scratch().File(files, llb.WithCustomName("[internal] goimage-helper source"), c.location("version"))

	env := c.toolEnv()
	env = setEnv(env, "CGO_ENABLED", "0")
	env = setEnv(env, "GOFLAGS", "")
	env = setEnv(env, "GOPROXY", "off")
	run := c.goRunRoot().Run(append(envOpts(env),
		llb.Args([]string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", strings.Join(plan.BaseLdflags, " "), "-o", helperBin, "."}),
		llb.Dir(helperSrc),
		llb.Network(llb.NetModeNone),
		llb.WithCustomName("[internal] build goimage-helper"),
		c.location("version"),
	)...)
	run.AddMount(helperSrc, src, llb.Readonly)
	// A build cache of its own: the helper verifies the shared one, so it must not be
	// built from entries that other builds wrote. It is a layer too, which the
	// standard-library step reads: on the build platform, the packages both need compile once.
	c.helperCacheState = run.AddMount(goCache, llb.Scratch())
	st := run.AddMount(helperDir, llb.Scratch())
	c.helperState = &st
	return st
}

// helperCache is the build cache goimage-helper was compiled with, a layer of its build step;
// empty for a prebuilt helper.
func (c *converter) helperCache() llb.State {
	if c.opt.Helper != nil {
		return llb.Scratch()
	}
	c.helper()
	return c.helperCacheState
}
