package llb

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// scratchPath is the PATH of an image whose base says nothing about it.
const scratchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// final copies the binaries onto the base, root-owned and not writable by the user the image
// runs as, with the epoch as their time, and derives the image configuration. The spec's
// extra files go first: an edit then changes only the last layer, and a fresh builder takes the
// layers under it from the imported cache, never from the builder image their CA bundle
// comes from.
func (c *converter) final(src llb.State, outs []llb.State) (*Result, error) {
	base := llb.Scratch().Platform(c.target)
	var baseImg *dockerspec.DockerOCIImage
	if c.baseLookup != nil {
		r := c.baseLookup.get()
		if r.err != nil {
			return nil, c.errorf(c.plan.Base.At.Field, "base image %s: %w", c.plan.Base.Ref, r.err)
		}
		base, baseImg = r.st, r.img
	}
	epoch := c.opt.epoch()
	root := &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}}
	var copies *llb.FileAction
	for i, b := range c.plan.Spec.Binaries {
		file := "/" + b.Name // the output mount's root is outDir
		info := &llb.CopyInfo{ChownOpt: root, Mode: &llb.ChmodOpt{Mode: 0o755}, CreatedTime: &epoch}
		if copies == nil {
			copies = llb.Copy(outs[i], file, file, info)
		} else {
			copies = copies.Copy(outs[i], file, file, info)
		}
	}
	st := c.extraFiles(base, src)
	st = st.File(copies, llb.WithCustomNamef("copy %s into the image", binaryNames(c.plan.Spec)), c.location("binaries"))
	img := c.imageConfig(baseImg)
	return &Result{State: st, Image: img, BaseImage: baseImg}, nil
}

// baseResult is the base image's state and configuration, or why they could not be had.
type baseResult struct {
	st  llb.State
	img *dockerspec.DockerOCIImage
	err error
}

// lookupBase resolves the base image, if any, while the steps before the final image are
// made: only the final image needs it, and the frontend would otherwise wait for a registry
// after solving the list.
func (c *converter) lookupBase(ctx context.Context) {
	ref := c.plan.Base.Ref
	if ref == "" {
		return
	}
	c.baseLookup = startPending(func() baseResult {
		st, img, err := c.opt.image(ctx, ref, c.target)
		return baseResult{st: st, img: img, err: err}
	})
}

// caBundle is where Debian (the golang image) and distroless keep the CA certificates, and
// where Go's crypto/x509 looks first.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// extraFiles copies the spec's files from the build context and the builder's CA bundle,
// root-owned with the epoch as their time: the image's user can read them, not change them.
func (c *converter) extraFiles(st, src llb.State) llb.State {
	epoch := c.opt.epoch()
	root := &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}}
	info := func() *llb.CopyInfo {
		return &llb.CopyInfo{ChownOpt: root, CreatedTime: &epoch, CreateDestPath: true, CopyDirContentsOnly: true}
	}
	if c.plan.Spec.CACerts {
		st = st.File(llb.Copy(c.builder, caBundle, caBundle, info()),
			llb.WithCustomName("copy the builder's CA certificates into the image"), c.location("cacerts"))
	}
	for i, f := range c.plan.Spec.Files {
		from := path.Join("/", f.Src)
		st = st.File(llb.Copy(src, from, path.Clean(f.Dst), info()),
			llb.WithCustomNamef("copy %s into the image at %s", f.Src, f.Dst), c.location(fmt.Sprintf("files[%d]", i)))
	}
	return st
}

func binaryNames(s *spec.Spec) string {
	names := make([]string, len(s.Binaries))
	for i, b := range s.Binaries {
		names[i] = "/" + b.Name
	}
	return strings.Join(names, " ")
}

// imageConfig is the base's configuration with the spec's on top: environment, labels and
// ports merge (the spec wins on a clash); entrypoint, cmd and user are the spec's.
func (c *converter) imageConfig(base *dockerspec.DockerOCIImage) *dockerspec.DockerOCIImage {
	epoch := c.opt.epoch()
	img := &dockerspec.DockerOCIImage{}
	if base != nil {
		img.Config = base.Config
		img.History = slices.Clone(base.History)
	}
	img.Platform = c.target
	img.Created = &epoch
	img.RootFS = ocispecs.RootFS{Type: "layers"}
	img.History = append(img.History, ocispecs.History{
		Created:   &epoch,
		CreatedBy: "goimage: copy " + binaryNames(c.plan.Spec),
		Comment:   "goimage.frontend",
	})

	cfg := &img.Config
	im := c.plan.Spec.Image
	env := slices.Clone(cfg.Env)
	if _, ok := lookupEnv(env, "PATH"); !ok {
		env = setEnv(env, "PATH", scratchPath)
	}
	for _, k := range spec.SortedKeys(im.Env) {
		env = setEnv(env, k, im.Env[k])
	}
	cfg.Env = env
	cfg.Entrypoint = im.Entrypoint
	cfg.Cmd = im.Cmd
	cfg.User = c.plan.User
	switch {
	case im.Workdir != "":
		cfg.WorkingDir = im.Workdir
	case cfg.WorkingDir == "":
		cfg.WorkingDir = "/"
	}
	if len(im.Labels)+len(c.opt.Labels) > 0 {
		cfg.Labels = maps.Clone(cfg.Labels)
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		maps.Copy(cfg.Labels, c.opt.Labels)
		maps.Copy(cfg.Labels, im.Labels)
	}
	if len(im.Volumes) > 0 {
		cfg.Volumes = maps.Clone(cfg.Volumes)
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range im.Volumes {
			cfg.Volumes[v] = struct{}{}
		}
	}
	if im.StopSignal != "" {
		cfg.StopSignal = im.StopSignal
	}
	if len(im.Expose) > 0 {
		cfg.ExposedPorts = maps.Clone(cfg.ExposedPorts)
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range im.Expose {
			if !strings.Contains(p, "/") {
				p += "/tcp"
			}
			cfg.ExposedPorts[p] = struct{}{}
		}
	}
	return img
}
