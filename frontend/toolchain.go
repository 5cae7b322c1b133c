package frontend

import (
	"context"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// toolchainPlatforms are the build platforms the frontend's toolchain images are published
// for (hack/dev pushes the host's alone).
var toolchainPlatforms = []string{"linux/amd64", "linux/arm64"}

// Toolchain finds the Go toolchain published ahead (llb.ToolchainSource): the image
// <source>-toolchain:<go version>-<build os>-<build arch>, as the frontend image's
// Dockerfile (target toolchain) builds it from the golang image of that version. A build that
// does not find it copies the toolchain out of the builder image.
func (s *publishedImages) Toolchain(ctx context.Context, goVersion string, build ocispecs.Platform) (llb.State, bool) {
	return s.findToolchain(ctx, goVersion, build, true)
}

// findToolchain is Toolchain, pulling the image ahead only if pull says so
// (publishedImages.find).
func (s *publishedImages) findToolchain(ctx context.Context, goVersion string, build ocispecs.Platform, pull bool) (llb.State, bool) {
	build = platforms.Normalize(build)
	if !s.toolchain || !toolchainPublished(goVersion, build) {
		return llb.State{}, false
	}
	ref := func() (reference.Named, bool) { return toolchainRef(s.source, goVersion, build) }
	return s.find(ctx, &s.toolchains, goVersion+" "+platforms.FormatAll(build), ref, build, llb.WithCustomNamef("[internal] the Go %s toolchain for %s", goVersion, platforms.Format(build)), pull)
}

// toolchainPublished reports whether a toolchain image is published for a build: the
// frontend's Go version, a build platform of toolchainPlatforms.
func toolchainPublished(goVersion string, build ocispecs.Platform) bool {
	return "go"+goVersion == runtime.Version() && slices.Contains(toolchainPlatforms, platforms.Format(build))
}

// toolchainRef is the reference of the toolchain image for a frontend source.
func toolchainRef(source, goVersion string, build ocispecs.Platform) (reference.Named, bool) {
	return publishedRef(source, "-toolchain", strings.Join([]string{goVersion, build.OS, build.Architecture + build.Variant}, "-"))
}
