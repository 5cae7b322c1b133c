package llb

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sync"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/mod/modfile"
)

// Paths inside the builder. They are set explicitly rather than derived from $HOME: a
// builder image without /etc/passwd runs with HOME=/, and a cache mounted under /root
// would then never be used.
const (
	srcDir     = "/src"
	outDir     = "/out"
	goPath     = "/go"
	goModCache = "/go/pkg/mod"
	goCache    = "/go/cache"
)

// Result is the graph for one target platform.
type Result struct {
	// State is the final image's filesystem.
	State llb.State
	// Image is the final image's configuration.
	Image *dockerspec.DockerOCIImage
	// BaseImage is the base's configuration, nil for scratch or an unresolved base.
	BaseImage *dockerspec.DockerOCIImage
	// SBOM holds SBOMPath when Options.SBOM asks for it.
	SBOM *llb.State
}

// converter carries what every step of one conversion shares.
type converter struct {
	plan    *plan.Plan
	opt     Options
	build   ocispecs.Platform
	target  ocispecs.Platform
	builder llb.State
	env     []string // the builder image's environment
	// builderConfig says the builder's configuration is known: an image, not a local
	// directory or a graph without an ImageSource.
	builderConfig bool

	helperState      *llb.State           // goimage-helper, built once per conversion
	helperCacheState llb.State            // the build cache goimage-helper was compiled with
	goRoot           *llb.State           // goRunRoot, made once per conversion
	stdlibLookup     *pending[foundState] // lookupStdlib
	toolchainLookup  *pending[foundState] // lookupToolchain
	baseLookup       *pending[baseResult] // lookupBase
	// moduleLayerOf is the download layer that holds each module version (path@version), as
	// moduleLayers made them, with the version's go.sum lines: nil where one step downloads
	// every module.
	moduleLayerOf map[string]moduleLayer
	// mountedModCache is the module cache the list and go build read where the download steps
	// made more than one layer (mountedModuleCache): nil where they read the module cache.
	mountedModCache *mountedModules
	// goMod is the main module's go.mod, parsed once (parseGoMod).
	goMod func() (*modfile.File, bool)
	// listGoMod is stdOnlyGoMod, worked out once.
	listGoMod func() []byte
}

// Convert returns the graph that builds a plan for one target platform.
func Convert(ctx context.Context, p *plan.Plan, opt Options) (*Result, error) {
	if p.Err != nil {
		return nil, p.Err // binaries whose flags left entries out must not build
	}
	c, in, err := newConverter(ctx, p, opt)
	if err != nil {
		return nil, err
	}
	c.lookupBase(ctx)
	// The groups' graph reads run side by side (listDeps): a failure of one stops the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	groups, groupOf := c.depGroups()
	listed := make([]*listedGroup, len(groups))
	for i, g := range groups {
		// The standard library of a later group compiles over the first group's: only the
		// packages its tags or flags change compile again.
		var firstStd *llb.State
		if i > 0 {
			firstStd = &listed[0].std
		}
		listed[i] = c.listDeps(ctx, g, fmt.Sprintf("binaries[%d].main", slices.Index(groupOf, i)), in.src, in.modCache, firstStd)
	}
	depCaches := make([]depLayers, len(groups))
	for i, l := range listed {
		if depCaches[i], err = c.depCache(l, in.modCache, in.vendored); err != nil {
			return nil, err
		}
	}
	outs := make([]llb.State, len(p.Binaries))
	for i := range p.Binaries {
		outs[i] = c.compile(i, in.src, in.modCache, depCaches[groupOf[i]])
	}
	res, err := c.final(in.src, outs)
	if err != nil || !opt.SBOM {
		return res, err
	}
	sbom := c.sbom(res.State)
	res.SBOM = &sbom
	return res, nil
}

// inputs are the states every go command of a build reads.
type inputs struct {
	src      llb.State // the build context
	modCache llb.State // the download step's module cache; empty when vendored
	vendored llb.State // go.mod and vendor/ of a vendored module
}

// newConverter resolves the target platform and the builder, and loads the inputs.
func newConverter(ctx context.Context, p *plan.Plan, opt Options) (*converter, *inputs, error) {
	s := p.Spec
	c := &converter{plan: p, opt: opt, build: opt.buildPlatform()}
	c.goMod = sync.OnceValues(c.parseGoMod)
	c.listGoMod = sync.OnceValue(c.stdOnlyGoMod)
	switch {
	case opt.TargetPlatform != nil:
		c.target = platforms.Normalize(*opt.TargetPlatform)
	case len(s.Platforms) > 0:
		p, err := spec.ParsePlatform(s.Platforms[0])
		if err != nil {
			return nil, nil, c.errorf("platforms[0]", "%w", err)
		}
		c.target = p
	default:
		c.target = c.build
	}
	if c.target.OS != "linux" {
		return nil, nil, c.errorf("platforms", "target platform %s: only linux images are supported", platforms.Format(c.target))
	}
	if s.CGO && c.target.Architecture != c.build.Architecture {
		return nil, nil, c.errorf("cgo", "cgo: true cannot cross-compile from %s to %s without a C cross toolchain: build on a %s builder or set cgo: false",
			platforms.Format(c.build), platforms.Format(c.target), platforms.Format(c.target))
	}

	builder, builderImg, err := opt.image(ctx, p.Builder.Ref, c.build)
	if err != nil {
		return nil, nil, c.errorf(p.Builder.At.Field, "builder image %s: %w", p.Builder.Ref, err)
	}
	c.builder = builder
	if builderImg != nil {
		c.env = builderImg.Config.Env
		c.builderConfig = true
	}
	c.lookupStdlib(ctx)
	c.lookupToolchain(ctx)

	in := &inputs{}
	if in.modCache, in.vendored, err = c.modules(); err != nil {
		return nil, nil, err
	}
	if in.src, err = opt.context(ContextSource()...); err != nil {
		return nil, nil, err
	}
	if in.src, err = c.generate(in.src, in.modCache); err != nil {
		return nil, nil, err
	}
	return c, in, nil
}

// ContextSource are the options of the build context's local source: a frontend that
// reads the context ahead of the conversion (Options.ImportHeaders) loads it with them, so
// that the build transfers it once.
func ContextSource() []llb.LocalOption {
	return []llb.LocalOption{llb.WithCustomName("[internal] load build context")}
}

// moduleDir is the module root inside the builder.
func (c *converter) moduleDir() string { return path.Join(srcDir, c.plan.Spec.Dir) }

// location ties an op to the Goimagefile range of a field path (plan.At).
func (c *converter) location(field string) llb.ConstraintsOpt {
	return c.at(c.plan.At(field))
}

// at ties an op to a plan item's location.
func (c *converter) at(l plan.Location) llb.ConstraintsOpt {
	return c.opt.SourceMap.Location([]*pb.Range{Range(l.Range)})
}

// Range is the source range BuildKit shows for a Goimagefile range: lines 1-based,
// characters 0-based, the end exclusive.
func Range(r spec.Range) *pb.Range {
	if r.End.Line == 0 {
		r.End = r.Start
	}
	return &pb.Range{
		Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Column - 1)},
		End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Column - 1)},
	}
}

// cacheID names a cache mount, inside the build's cache namespace.
func (c *converter) cacheID(name string) string {
	if c.opt.CacheIDNamespace != "" {
		return c.opt.CacheIDNamespace + "/goimage-" + name
	}
	return "goimage-" + name
}

// errorf makes an error located at a field of the spec.
func (c *converter) errorf(field, format string, args ...any) error {
	r := c.plan.At(field).Range
	return &spec.FieldError{Pos: r.Start, End: r.End, Path: field, Err: fmt.Errorf(format, args...)}
}
