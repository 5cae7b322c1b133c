package llb

import (
	"path"
	"slices"
	"strings"
	"time"

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
// hit from the imported cache). So they run on a layer holding only the toolchain, copied
// from the builder: that copy is itself a cache hit, and the fresh builder pulls the layer
// instead of the whole image (Debian, gcc, git and Go). The download, generate and test steps
// keep the builder, which they need for the network, arbitrary tools, go vet and cgo.
//
// An explicit builder image, cgo, or a builder whose configuration is unknown or whose PATH
// does not name the golang images' GOROOT keeps the builder everywhere: its GOROOT,
// compilers or files may be the point.
func (c *converter) goRunRoot() llb.State {
	if c.goRoot != nil {
		return *c.goRoot
	}
	root := c.builder
	if c.plan.Spec.Builder == "" && !c.plan.Spec.CGO && c.builderHasGoRoot() {
		root = c.toolchainLayer()
	}
	c.goRoot = &root
	return root
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

// builderHasGoRoot reports whether the builder's configuration is known and its PATH names
// goRoot's bin directory.
func (c *converter) builderHasGoRoot() bool {
	if !c.builderConfig {
		return false
	}
	if r, ok := lookupEnv(c.env, "GOROOT"); ok && path.Clean(r) != goRoot {
		return false
	}
	p, _ := lookupEnv(c.env, "PATH")
	return slices.Contains(strings.Split(p, ":"), goRoot+"/bin")
}
