package llb

import (
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
)

// The golang images keep the toolchain here; their PATH names its bin directory.
const goRoot = "/usr/local/go"

// toolchainExcludes are the parts of GOROOT that a cgo-off go build, go list and the
// dependency compile never read: the go command's own sources, tests, test data, docs,
// gofmt, and the tools only go vet, go fix and cgo run. Exclusions rather than a list of
// what to keep, so that a tool a newer go command needs for go build is never left out.
var toolchainExcludes = []string{
	"src/cmd", "test", "api", "doc", "misc",
	"**/testdata", "**/*_test.go",
	"bin/gofmt", "pkg/tool/*/vet", "pkg/tool/*/fix", "pkg/tool/*/cgo",
}

// goRunRoot is the root filesystem of the offline go commands of an image build: goimage-helper's
// build, the dependency list and compile, go build and the SBOM.
//
// With the default golang builder and cgo off, those commands read nothing of the image but
// GOROOT, and they are the steps a fresh CI builder runs again (every other step is a cache
// hit from the imported cache). So they run on a layer holding only the toolchain: the
// toolchain published with the frontend for the builder's Go version (Options.Toolchain),
// else a copy from the builder. A cold builder then pulls a 35 MB image instead of the
// builder (golang:1.26, 235 MB: 7.4 s of an 11.6 s cold build of examples/hello), and a
// fresh builder importing a cache pulls that image, or the copy from the cache, but never
// the builder. The download, generate and test steps keep the builder, which they need for
// the network, arbitrary tools, go vet and cgo, unless downloadRoot says otherwise.
//
// An explicit builder image, cgo, or a builder whose configuration is unknown or whose PATH
// does not name the golang images' GOROOT keeps the builder everywhere: its GOROOT,
// compilers or files may be the point.
func (c *converter) goRunRoot() llb.State {
	if c.goRoot != nil {
		return *c.goRoot
	}
	root := c.builder
	if c.toolchainServes() {
		if found := c.toolchainLookup.get(); found.ok {
			root = found.st
		} else {
			root = c.toolchainLayer()
		}
	}
	c.goRoot = &root
	return root
}

// toolchainServes reports whether the offline go commands may run on the toolchain alone
// (goRunRoot).
func (c *converter) toolchainServes() bool {
	return c.builderConfig && RunsOnToolchain(c.plan.Spec, c.env)
}

// RunsOnToolchain reports whether the offline go commands of a build of s, whose builder
// image has the environment env, run on the toolchain alone (the toolchain layer or the
// published toolchain): the default builder, cgo off, and a PATH that names goRoot's bin
// directory. A frontend that looks the published toolchain up ahead asks the same.
func RunsOnToolchain(s *spec.Spec, env []string) bool {
	return s.Builder == "" && !s.CGO && hasGoRoot(env)
}

// lookupToolchain starts looking for the toolchain published ahead (Options.Toolchain) by the
// builder's Go version, where goRunRoot would use it: a registry round trip beside the
// loading of the build's inputs.
//
// The builder is the default one, the golang image, whose GOROOT is the Go release its
// GOLANG_VERSION names, and so the published toolchain's: a build gets the same binaries on
// either.
func (c *converter) lookupToolchain(ctx context.Context) {
	version, ok := PublishedGoVersion(c.env)
	if c.opt.Toolchain == nil || !ok || !c.toolchainServes() {
		return
	}
	c.toolchainLookup = startPending(func() foundState {
		st, ok := c.opt.Toolchain.Toolchain(ctx, version, c.build)
		return foundState{st: st, ok: ok}
	})
}

// toolchainLayer is GOROOT copied from the builder without toolchainExcludes, and a /tmp for
// the go command's work files, every file at the epoch so that the layer's bytes, and its
// blob in an exported cache, are the same on every builder.
//
// goimage-helper copies it when the frontend's image carries one: a file op's copy is keyed
// on a hash of every file it copies, which on a cold builder read all of GOROOT before the
// copy began (2.8 s of the step's 3.1 s); an exec is keyed on the builder image's digest. A
// graph that builds the helper builds it on this layer, so the file op stays for it.
func (c *converter) toolchainLayer() llb.State {
	epoch := c.opt.epoch()
	name := llb.WithCustomNamef("[internal] the Go toolchain of %s", c.plan.Builder.Ref)
	if c.opt.Helper == nil {
		return llb.Scratch().File(
			llb.Copy(c.builder, goRoot, goRoot, &llb.CopyInfo{
				CopyDirContentsOnly: true,
				CreateDestPath:      true,
				ExcludePatterns:     toolchainExcludes,
				CreatedTime:         &epoch,
			}).Mkdir("/tmp", 0o777, llb.WithCreatedTime(epoch)),
			name, c.location("go"),
		).Platform(c.build)
	}
	args := []string{helperBin, "toolchain", "-o", toolchainDir, "-epoch", epoch.UTC().Format(time.RFC3339Nano)}
	for _, p := range toolchainExcludes {
		args = append(args, "-exclude", p)
	}
	run := c.builder.Run(llb.Args(append(args, goRoot)), llb.Network(llb.NetModeNone), name, c.location("go"))
	c.mountHelper(run)
	return run.AddMount(toolchainDir, llb.Scratch()).Platform(c.build)
}

// hasGoRoot reports whether a builder environment's PATH names goRoot's bin directory, and
// its GOROOT, if set, is goRoot.
func hasGoRoot(env []string) bool {
	if r, ok := lookupEnv(env, "GOROOT"); ok && path.Clean(r) != goRoot {
		return false
	}
	p, _ := lookupEnv(env, "PATH")
	return slices.Contains(strings.Split(p, ":"), goRoot+"/bin")
}
