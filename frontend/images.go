package frontend

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
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
// pinned to its digest, so the graph names exactly what it used.
type images struct {
	bc *dockerui.Client
	c  client.Client
}

func (i *images) Image(ctx context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
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
