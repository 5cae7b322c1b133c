package llb

import (
	"path"
	"strings"

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
		modCache, ok, err := c.moduleLayers()
		if err != nil || ok {
			return modCache, llb.Scratch(), err
		}
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
	mods, err := c.opt.context(ModuleFilesSource(c.plan.Spec.Dir)...)
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
	run := c.downloadRun(env, inWorkspace(args), c.moduleDir(), "go mod download", opts...)
	run.AddMount(srcDir, mods, llb.Readonly)
	c.mountGoCache(run)
	if c.hasCredentials() {
		run.AddMount(credentialsDir, c.credentialsDigest(), llb.Readonly)
	}
	return run.AddMount(goModCache, llb.Scratch()), nil
}

// downloadRoot is the root filesystem of the download step, whose go environment is env. A
// go.mod change runs the step again, and on a fresh CI builder that meant pulling the whole
// builder image (28 s of yq's 70 s ci-gomod build in hack/bench) for a step that, fetching
// from a module proxy, reads only GOROOT and the CA certificates. So it runs on the toolchain
// layer (goRunRoot) wherever the other go commands do, with a CA bundle (downloadRun):
// layers a fresh builder pulls without the builder image.
//
// The builder stays where the download may run a version control tool (git, through
// GOPRIVATE, GONOPROXY or a GOPROXY that starts with direct) or uses credentials. A public
// module the proxy does not serve falls through to direct, which needs git:
// goimage-helper download then says how to give the step the builder.
func (c *converter) downloadRoot(env []string) (root llb.State, onToolchain bool) {
	if c.hasCredentials() {
		return c.builder, false
	}
	for _, k := range []string{"GOPRIVATE", "GONOPROXY"} {
		if v, _ := lookupEnv(env, k); v != "" {
			return c.builder, false
		}
	}
	if p, ok := lookupEnv(env, "GOPROXY"); ok {
		if first, _, _ := strings.Cut(strings.ReplaceAll(p, "|", ","), ","); first == "direct" {
			return c.builder, false
		}
	}
	root = c.goRunRoot()
	if root.Output() == c.builder.Output() {
		return c.builder, false
	}
	return root, true
}

// downloadRun is a step that fetches modules with the go environment env: on downloadRoot,
// with goimage-helper and the persistent module caches mounted, and the builder's CA bundle
// where the root is the toolchain layer (the published toolchain holds a bundle of its own).
func (c *converter) downloadRun(env, args []string, dir, name string, opts ...llb.RunOption) llb.ExecState {
	root, onToolchain := c.downloadRoot(env)
	run := root.Run(append(append(envOpts(env), opts...),
		llb.Args(args),
		llb.Dir(dir),
		llb.WithCustomName(name),
		c.location(modField(c.plan.Spec.Dir)),
	)...)
	// The published toolchain, which lookupToolchain looks up only where goRunRoot uses
	// it, holds a CA bundle of its own.
	if onToolchain && !c.toolchainLookup.get().ok {
		run.AddMount(path.Dir(caBundle), c.caCertificates(), llb.Readonly)
	}
	c.mountHelper(run)
	c.mountModuleCaches(run)
	return run
}

// caCertificates is the builder's CA bundle, alone in a layer.
func (c *converter) caCertificates() llb.State {
	epoch := c.opt.epoch()
	return llb.Scratch().File(
		llb.Copy(c.builder, caBundle, path.Base(caBundle), &llb.CopyInfo{CreatedTime: &epoch}),
		llb.WithCustomNamef("[internal] the CA certificates of %s", c.plan.Builder.Ref),
		c.location("go"),
	).Platform(c.build)
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
