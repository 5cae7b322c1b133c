package frontend

import (
	"context"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// stdlibTargets are the platforms the frontend's standard library images are published for
// (hack/dev pushes the same), each compiled on the platform the frontend image is for.
var stdlibTargets = []string{"linux/amd64", "linux/arm64"}

// stdlibImages finds the standard library compiled ahead for a build (llb.StdlibSource): an
// image next to the frontend's own, in the repository of its source with "-stdlib" added,
// tagged <go version>-<build os>-<build arch>-<target os>-<target arch>, as the frontend
// image's Dockerfile (target stdlib) builds it. Published with the frontend, it is as
// trusted as the frontend.
//
// It is looked up only where it is published: for the Go version that built the frontend
// (the images come from the same golang image), on the frontend's own platform, for
// stdlibTargets. BuildKit shows every image lookup in the build's progress, a failed one as
// an error; a build it does not find anyway compiles the standard library, as without one.
type stdlibImages struct {
	c client.Client
	// source is the frontend's own image reference; "" when unknown (no lookup).
	source string
}

func (s *stdlibImages) Stdlib(ctx context.Context, goVersion string, build, target ocispecs.Platform) (llb.State, bool) {
	if !stdlibPublished(goVersion, build, target) {
		return llb.State{}, false
	}
	named, ok := stdlibRef(s.source, goVersion, build, target)
	if !ok {
		return llb.State{}, false
	}
	dgst, _, err := resolveImage(ctx, s.c, named, target, "")
	if err != nil {
		return llb.State{}, false
	}
	pinned, err := reference.WithDigest(named, dgst)
	if err != nil {
		return llb.State{}, false
	}
	return llb.Image(pinned.String(), llb.Platform(target), llb.WithCustomNamef("[internal] the standard library of Go %s for %s", goVersion, platforms.Format(target))), true
}

// stdlibPublished reports whether a standard library image is published for a build: the
// frontend's Go version and platform, a target of stdlibTargets.
func stdlibPublished(goVersion string, build, target ocispecs.Platform) bool {
	return "go"+goVersion == runtime.Version() &&
		build.OS == runtime.GOOS && build.Architecture == runtime.GOARCH && build.Variant == "" &&
		slices.Contains(stdlibTargets, platforms.Format(target))
}

// stdlibRef is the reference of the standard library image for a frontend source.
func stdlibRef(source, goVersion string, build, target ocispecs.Platform) (reference.Named, bool) {
	if source == "" {
		return nil, false
	}
	named, err := reference.ParseNormalizedNamed(source)
	if err != nil {
		return nil, false
	}
	parts := []string{goVersion, build.OS, build.Architecture + build.Variant, target.OS, target.Architecture + target.Variant}
	ref, err := reference.ParseNormalizedNamed(named.Name() + "-stdlib:" + strings.Join(parts, "-"))
	if err != nil {
		return nil, false
	}
	return ref, true
}
