package llb

import (
	"path"

	"github.com/moby/buildkit/client/llb"
)

// moduleFiles are the files that decide which modules a build needs. They reach the download
// step through their own local source, so editing a .go file never invalidates it. The go.mod
// and go.sum of nested directories are the other modules of a go.work workspace.
var moduleFiles = append(rootModuleFiles, "**/go.mod", "**/go.sum")

// rootModuleFiles are the module files of the module root itself.
var rootModuleFiles = []string{"go.mod", "go.sum", "go.work", "go.work.sum"}

// modules returns where the build's modules come from: the download step's module cache, or
// for a vendored module an empty module cache and the module's go.mod and vendor directory.
func (c *converter) modules() (modCache, vendored llb.State, err error) {
	if !c.plan.Spec.Vendor {
		modCache, err = c.download()
		return modCache, llb.Scratch(), err
	}
	var include []string
	for _, f := range []string{"go.mod", "go.sum", "vendor"} {
		include = append(include, path.Join(c.plan.Spec.Dir, f))
	}
	vendored, err = c.opt.context(
		llb.IncludePatterns(include),
		llb.SharedKeyHint("goimage-vendor"),
		llb.WithCustomName("[internal] load go.mod and vendor"),
	)
	return llb.Scratch(), vendored, err
}

// download runs `go mod download` on go.mod and go.sum alone. Its result is the module cache
// as a layer of its own: content-addressed, so `--cache-to` exports it and a fresh builder
// importing that cache never downloads modules again. It fetches through a persistent cache
// mount (goimage-helper download), so that on a warm builder a go.mod change fetches only
// the modules that changed.
func (c *converter) download() (llb.State, error) {
	include := make([]string, len(moduleFiles))
	for i, f := range moduleFiles {
		include[i] = path.Join(c.plan.Spec.Dir, f)
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
	env := c.downloadEnv()
	opts := c.privateOpts()
	if c.plan.Spec.Private.Netrc != "" {
		env = setEnv(env, "NETRC", netrcPath)
	}
	env = setEnv(env, "GOCACHEPROG", cacheProg())
	args := []string{helperBin, "download", "-sums", srcDir}
	args = append(args, c.moduleCacheArgs()...)
	run := c.builder.Run(append(append(envOpts(env), opts...),
		llb.Args(inWorkspace(args)),
		llb.Dir(c.moduleDir()),
		llb.WithCustomName("go mod download"),
		c.location(modField(c.plan.Spec.Dir)),
	)...)
	run.AddMount(srcDir, mods, llb.Readonly)
	c.mountBuildCache(run)
	c.mountModuleCaches(run)
	if c.hasCredentials() {
		run.AddMount(credentialsDir, c.credentialsDigest(), llb.Readonly)
	}
	return run.AddMount(goModCache, llb.Scratch()), nil
}

// Where the netrc secret is mounted: the go command reads $NETRC, git (through curl) reads
// the home directory's .netrc.
const (
	netrcPath     = "/run/secrets/goimage-netrc"
	rootNetrcPath = "/root/.netrc"
)

// privateOpts mount the spec's credentials into the download step alone: a secret mount or
// an SSH socket is never part of a layer or of the step's cache key.
func (c *converter) privateOpts() []llb.RunOption {
	var opts []llb.RunOption
	if id := c.plan.Spec.Private.Netrc; id != "" {
		for _, target := range []string{netrcPath, rootNetrcPath} {
			opts = append(opts, llb.AddSecret(target, llb.SecretID(id), llb.SecretFileOpt(0, 0, 0o400)))
		}
	}
	if c.plan.Spec.Private.SSH {
		opts = append(opts, llb.AddSSHSocket())
	}
	return opts
}

func modField(dir string) string {
	if dir != "." {
		return "dir"
	}
	return "version"
}
