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

// stdlibTargets are the platforms the frontend's standard library images are published for
// (hack/dev pushes the same), each compiled on the platform the frontend image is for.
var stdlibTargets = []string{"linux/amd64", "linux/arm64"}

// Stdlib finds the standard library compiled ahead (llb.StdlibSource): the image
// <source>-stdlib:<go version>-<build os>-<build arch>-<target os>-<target arch>, as the
// frontend image's Dockerfile (target stdlib) builds it. A build that does not find it
// compiles the standard library.
func (s *publishedImages) Stdlib(ctx context.Context, goVersion string, build, target ocispecs.Platform) (llb.State, bool) {
	return s.findStdlib(ctx, goVersion, build, target, true)
}

// findStdlib is Stdlib, pulling the image ahead only if pull says so (publishedImages.find).
func (s *publishedImages) findStdlib(ctx context.Context, goVersion string, build, target ocispecs.Platform, pull bool) (llb.State, bool) {
	build, target = platforms.Normalize(build), platforms.Normalize(target)
	if !stdlibPublished(goVersion, build, target) {
		return llb.State{}, false
	}
	key := strings.Join([]string{goVersion, platforms.FormatAll(build), platforms.FormatAll(target)}, " ")
	ref := func() (reference.Named, bool) { return stdlibRef(s.source, goVersion, build, target) }
	return s.find(ctx, &s.stdlibs, key, ref, target, llb.WithCustomNamef("[internal] the standard library of Go %s for %s", goVersion, platforms.Format(target)), pull)
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
	return publishedRef(source, "-stdlib", strings.Join([]string{goVersion, build.OS, build.Architecture + build.Variant, target.OS, target.Architecture + target.Variant}, "-"))
}
