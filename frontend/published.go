package frontend

import (
	"context"
	"runtime"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// publishedImages finds the images published ahead with the frontend for a build: the
// standard library compiled for a target (llb.StdlibSource, stdlib.go) and the Go toolchain
// for the build platform (llb.ToolchainSource, toolchain.go). Each is an image next to the
// frontend's own, in the repository of its source with a suffix added, tagged by the Go
// version of the frontend and the platforms, as the frontend image's Dockerfile builds it.
// Published with the frontend, they are as trusted as the frontend.
//
// They are looked up only where they are published: for the Go version that built the
// frontend (the images come from the same golang image) and the platforms the release
// builds. BuildKit shows every image lookup in the build's progress, a failed one as an
// error; a build that does not find one does without, as before they were published.
//
// Each lookup runs once per build, whoever asks first: prefetch starts them before the
// conversion asks.
type publishedImages struct {
	c client.Client
	// source is the frontend's own image reference; "" when unknown (no lookup).
	source string
	// pull says to pull an image as soon as it is found (pullAhead).
	pull bool
	// toolchain says the build may use the published toolchain: its builder is the golang
	// image the reference names, not a named context standing in for it.
	toolchain bool

	stdlibs    lookups[foundImage] // by Go version and platforms
	toolchains lookups[foundImage] // by Go version and build platform
	pulled     sync.Map            // lookup keys whose image is pulled ahead
}

// foundImage is the outcome of a lookup: the image, if ok.
type foundImage struct {
	st llb.State
	ok bool
}

// prefetch starts the lookups of the conversion of p ahead of it: the conversion starts once
// the context is read, and a no-op build of mikefarah/yq then waited 0.014 s for the registry
// round trip. The targets are the build's target platforms, the build platform when it names
// none. The toolchain is looked up only where the conversion would run on it
// (llb.RunsOnToolchain).
//
// The lookups start beside the read of the builder image's configuration, which gives the
// Go version they name, where the frontend can tell that version ahead (ownGoVersion): after
// it, they were a second registry round trip in a row before the list (27 ms of an
// examples/hello build on a fresh builder). Such a lookup only resolves the image; it is
// pulled once the builder's configuration has confirmed the version.
func (s *publishedImages) prefetch(ctx context.Context, imgs *images, p *plan.Plan, build ocispecs.Platform, targets []ocispecs.Platform) {
	builder := p.Builder.Ref
	if builder == "" {
		return
	}
	if len(targets) == 0 {
		targets = []ocispecs.Platform{build}
	}
	if version, ok := s.ownGoVersion(p); ok {
		if !p.Spec.CGO {
			go s.findToolchain(ctx, version, build, false)
		}
		for _, t := range targets {
			go s.findStdlib(ctx, version, build, t, false)
		}
	}
	go func() {
		_, img, err := imgs.Image(ctx, builder, platforms.Normalize(build))
		if err != nil || img == nil {
			return
		}
		version, ok := goimagellb.PublishedGoVersion(img.Config.Env)
		if !ok {
			return
		}
		if goimagellb.RunsOnToolchain(p.Spec, img.Config.Env) {
			go s.Toolchain(ctx, version, build)
		}
		for _, t := range targets {
			go s.Stdlib(ctx, version, build, t)
		}
	}()
}

// ownGoVersion is the Go version whose images are published (the frontend's own, see
// stdlibPublished), where the builder of p is the golang image of that version's minor
// release: the version its configuration most likely gives. ok is false where the builder is
// another image, or a named context stands in for it.
func (s *publishedImages) ownGoVersion(p *plan.Plan) (version string, ok bool) {
	version = strings.TrimPrefix(runtime.Version(), "go")
	if !s.toolchain || p.Spec.Builder != "" || p.Spec.Go == "" {
		return "", false
	}
	return version, version == p.Spec.Go || strings.HasPrefix(version, p.Spec.Go+".")
}

// find looks up the published image ref names, once per build for key among l's lookups,
// for platform p: pinned to the digest it resolves to, and, where pull and s.pull say so,
// pulled ahead, once per build. ok is false when ref names none or the image is not there.
func (s *publishedImages) find(ctx context.Context, l *lookups[foundImage], key string, ref func() (reference.Named, bool), p ocispecs.Platform, name llb.ConstraintsOpt, pull bool) (llb.State, bool) {
	found, _ := l.do(ctx, key, func() foundImage {
		named, ok := ref()
		if !ok {
			return foundImage{}
		}
		dgst, _, err := resolveImage(ctx, s.c, named, p, "")
		if err != nil {
			return foundImage{}
		}
		pinned, err := reference.WithDigest(named, dgst)
		if err != nil {
			return foundImage{}
		}
		return foundImage{llb.Image(pinned.String(), llb.Platform(p), name), true}
	})
	if found.ok && pull && s.pull {
		if _, pulled := s.pulled.LoadOrStore(key, true); !pulled {
			go pullAhead(ctx, s.c, found.st)
		}
	}
	return found.st, found.ok
}

// publishedRef is the reference of a published image for a frontend source: its repository
// with suffix added, and tag.
func publishedRef(source, suffix, tag string) (reference.Named, bool) {
	if source == "" {
		return nil, false
	}
	named, err := reference.ParseNormalizedNamed(source)
	if err != nil {
		return nil, false
	}
	ref, err := reference.ParseNormalizedNamed(named.Name() + suffix + ":" + tag)
	if err != nil {
		return nil, false
	}
	return ref, true
}

// pullAhead pulls the layers of an image state while the frontend converts the build. The
// step that reads the standard library image depends on the list, which waits for the builder
// image: on a cold builder BuildKit pulled the one after the other (the standard library took
// 1.3 s of an 11.6 s examples/hello build, after a 7.4 s pull of golang:1.26). Reading a file
// of the image makes BuildKit pull it now, and the step finds it pulled. ctx ends with the
// frontend's Build: where that is quick (the list cached) a pull not done by then stops, and
// the step pulls the image if it needs it. Errors are the step's to report.
func pullAhead(ctx context.Context, c client.Client, st llb.State) {
	ref, err := solveState(ctx, c, st, nil)
	if err != nil || ref == nil {
		return
	}
	_, _ = ref.StatFile(ctx, client.StatRequest{Path: "/"})
}
