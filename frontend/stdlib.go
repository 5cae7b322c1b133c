package frontend

import (
	"context"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	goimagellb "github.com/goimage/goimage/llb"
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
//
// Each lookup runs once per build, whoever asks first: prefetch starts them before the
// conversion asks.
type stdlibImages struct {
	c client.Client
	// source is the frontend's own image reference; "" when unknown (no lookup).
	source string
	// pull says to pull the image as soon as it is found (pullAhead).
	pull bool

	lookups lookups[stdlibFound] // by Go version and platforms
}

// stdlibFound is the outcome of a lookup: the image, if ok.
type stdlibFound struct {
	st llb.State
	ok bool
}

func (s *stdlibImages) Stdlib(ctx context.Context, goVersion string, build, target ocispecs.Platform) (llb.State, bool) {
	build, target = platforms.Normalize(build), platforms.Normalize(target)
	key := strings.Join([]string{goVersion, platforms.FormatAll(build), platforms.FormatAll(target)}, " ")
	found, _ := s.lookups.do(ctx, key, func() stdlibFound {
		st, ok := s.lookup(ctx, goVersion, build, target)
		return stdlibFound{st, ok}
	})
	return found.st, found.ok
}

// prefetch starts the lookups of the conversion as soon as the builder image's
// configuration gives its Go version: the conversion starts once the context is read, and a
// no-op build of mikefarah/yq then waited 0.014 s for the registry round trip. The targets
// are the build's target platforms, the build platform when it names none.
func (s *stdlibImages) prefetch(ctx context.Context, imgs *images, builder string, build ocispecs.Platform, targets []ocispecs.Platform) {
	if builder == "" {
		return
	}
	if len(targets) == 0 {
		targets = []ocispecs.Platform{build}
	}
	go func() {
		_, img, err := imgs.Image(ctx, builder, platforms.Normalize(build))
		if err != nil || img == nil {
			return
		}
		version, ok := goimagellb.StdlibGoVersion(img.Config.Env)
		if !ok {
			return
		}
		for _, t := range targets {
			go s.Stdlib(ctx, version, build, t)
		}
	}()
}

// lookup resolves the standard library image for a build, if it is published.
func (s *stdlibImages) lookup(ctx context.Context, goVersion string, build, target ocispecs.Platform) (llb.State, bool) {
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
	st := llb.Image(pinned.String(), llb.Platform(target), llb.WithCustomNamef("[internal] the standard library of Go %s for %s", goVersion, platforms.Format(target)))
	if s.pull {
		go pullAhead(ctx, s.c, st)
	}
	return st, true
}

// pullAhead pulls the layers of an image state while the frontend converts the build. The
// step that reads the standard library image depends on the list, which waits for the builder
// image: on a cold builder BuildKit pulled the one after the other (the standard library took
// 1.3 s of an 11.6 s examples/hello build, after a 7.4 s pull of golang:1.26). Reading a file
// of the image makes BuildKit pull it now, and the step finds it pulled. ctx ends with the
// frontend's Build: where that is quick (the list cached) a pull not done by then stops, and
// the step pulls the image if it needs it. Errors are the step's to report.
func pullAhead(ctx context.Context, c client.Client, st llb.State) {
	ref, err := solveState(ctx, c, st)
	if err != nil || ref == nil {
		return
	}
	_, _ = ref.StatFile(ctx, client.StatRequest{Path: "/"})
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
