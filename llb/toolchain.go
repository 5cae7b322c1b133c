package llb

import (
	"path"
	"slices"
	"strings"

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
		// The epoch for every file, so that the layer's bytes, and its blob in an exported
		// cache, are the same on every builder.
		epoch := c.opt.epoch()
		root = llb.Scratch().File(
			llb.Copy(c.builder, goRoot, goRoot, &llb.CopyInfo{
				CopyDirContentsOnly: true,
				CreateDestPath:      true,
				ExcludePatterns:     toolchainExcludes,
				CreatedTime:         &epoch,
			}).Mkdir("/tmp", 0o777, llb.WithCreatedTime(epoch)),
			llb.WithCustomNamef("[internal] the Go toolchain of %s", c.plan.Builder.Ref),
			c.location("go"),
		).Platform(c.build)
	}
	c.goRoot = &root
	return root
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
