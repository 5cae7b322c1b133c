package frontend

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// images resolves the builder and base images: a named context of the same name wins
// (`--build-context golang:1.26=...`), else the reference is resolved through the daemon and
// pinned to its digest, so the graph names exactly what it used. Each reference is resolved
// once per platform and build, whoever asks first.
type images struct {
	bc *dockerui.Client
	c  client.Client

	lookups lookups[resolvedImage] // by reference and platform
}

// resolvedImage is the outcome of resolving a reference for a platform.
type resolvedImage struct {
	st  llb.State
	img *dockerspec.DockerOCIImage
	err error
}

func (i *images) Image(ctx context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	key := ref + " " + platforms.FormatAll(platforms.Normalize(p))
	r, err := i.lookups.do(ctx, key, func() resolvedImage {
		st, img, err := i.resolve(ctx, ref, p)
		return resolvedImage{st, img, err}
	})
	if err != nil {
		return llb.State{}, nil, err
	}
	return r.st, r.img, r.err
}

// prefetch starts resolving the images the conversion of p will ask for: the builder for the
// build platform and, but for the test target, the base for each target platform (the build
// platform when the build names none), all normalized as the conversion normalizes them. A
// no-op build would otherwise wait for each registry round trip after reading the context.
func (i *images) prefetch(ctx context.Context, p *plan.Plan, build ocispecs.Platform, targets []ocispecs.Platform, test bool) {
	build = platforms.Normalize(build)
	if p.Builder.Ref != "" {
		go i.Image(ctx, p.Builder.Ref, build)
	}
	if test || p.Base.Ref == "" {
		return
	}
	if len(targets) == 0 {
		targets = []ocispecs.Platform{build}
	}
	for _, t := range targets {
		go i.Image(ctx, p.Base.Ref, platforms.Normalize(t))
	}
}

func (i *images) resolve(ctx context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	nc, err := i.bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: i.bc.ImageResolveMode.String()})
	if err != nil {
		return llb.State{}, nil, err
	}
	if nc != nil {
		st, img, err := nc.Load(ctx)
		if err != nil {
			return llb.State{}, nil, err
		}
		return *st, img, nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return llb.State{}, nil, err
	}
	named = reference.TagNameOnly(named)
	dgst, dt, err := resolveImage(ctx, i.c, named, p, i.bc.ImageResolveMode.String())
	if err != nil {
		return llb.State{}, nil, err
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &img); err != nil {
		return llb.State{}, nil, fmt.Errorf("image config of %s: %w", ref, err)
	}
	if canonical, err := reference.WithDigest(named, dgst); err == nil {
		ref = canonical.String()
	}
	return llb.Image(ref, llb.Platform(p), i.bc.ImageResolveMode), &img, nil
}

// resolveImage resolves an image reference for a platform through the daemon, as the build's
// progress shows ("[PLATFORM] load metadata for REF"): the digest it names and its
// configuration. mode is the image resolve mode; "" is the default.
func resolveImage(ctx context.Context, c client.Client, named reference.Named, p ocispecs.Platform, mode string) (digest.Digest, []byte, error) {
	_, dgst, dt, err := c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName:  fmt.Sprintf("[%s] load metadata for %s", platforms.Format(p), named.String()),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: mode},
	})
	return dgst, dt, err
}

// namedContext reports whether a named context stands in for the image ref on platform p
// (resolve loads it instead of the image); an error counts as one, since resolve then fails.
func namedContext(bc *dockerui.Client, ref string, p ocispecs.Platform) bool {
	nc, err := bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p})
	return err != nil || nc != nil
}
