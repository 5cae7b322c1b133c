package frontend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/check"
	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/result"
	"github.com/moby/buildkit/util/apicaps"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultFilename is the file read when the build names none.
const DefaultFilename = "Goimagefile"

// Build is the frontend's entry point: it builds the Goimagefile of the build context.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	c = withDefaultFilename(c)
	bc, err := dockerui.NewClient(c)
	if err != nil {
		if errors.As(err, new(*apicaps.CapError)) {
			return nil, fmt.Errorf("goimage: %w; goimage supports BuildKit %s (Docker Engine 25.0) and later", err, OldestBuildKit)
		}
		return nil, fmt.Errorf("goimage: %w", err)
	}
	src, err := bc.ReadEntrypoint(ctx, "yaml")
	if err != nil {
		return nil, fmt.Errorf("read Goimagefile: %w", err)
	}
	s, err := spec.Parse(src.Data)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	// The subrequests read what the file means, not the values of its build args: a bad
	// SOURCE_DATE_EPOCH, or a build arg that makes an ldflags entry unreadable, fails the
	// build and the check, not the outline or the targets that list them.
	epoch, epochErr := sourceDateEpoch(bc.BuildArgs)
	in := plan.Inputs{BuildArgs: buildArgs(bc.BuildArgs, c.BuildOpts().Opts, epoch)}
	whole, planErr := plan.Resolve(s, in)
	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) { return listTargets(whole, src.SourceMap), nil },
		Outline:     func(context.Context) (*outline.Outline, error) { return outlineOf(whole, src.SourceMap), nil },
		Lint: func(ctx context.Context) (*lint.LintResults, error) {
			if planErr != nil { // what the build would fail with, as for a Dockerfile's errors
				return nil, withSource(planErr, src.SourceMap)
			}
			var module check.Files // nil: a vendored module has no rule that reads files
			if !s.Vendor {
				m, err := readContextModule(ctx, c, bc, s)
				if err != nil {
					return nil, err
				}
				module = m
			}
			return lintResults(whole, src.SourceMap, module), nil
		},
	}); err != nil || ok {
		return res, err
	}
	if epochErr != nil {
		return nil, epochErr
	}

	if len(bc.TargetPlatforms) == 0 && len(s.Platforms) > 0 {
		bc.TargetPlatforms = filePlatforms(ctx, whole, c.BuildOpts(), src, bc.BuildPlatforms[0])
		bc.MultiPlatformRequested = bc.MultiPlatformRequested || len(bc.TargetPlatforms) > 1
	}
	test := bc.Target == spec.TestTarget
	p := whole
	if bc.Target != "" && !test {
		if s, err = s.Select(bc.Target); err != nil {
			return nil, err
		}
		p, planErr = plan.Resolve(s, in)
	}
	if planErr != nil && !test { // go test reads none of the binaries' flags
		return nil, withSource(planErr, src.SourceMap)
	}
	imgs := &images{bc: bc, c: c}
	imgs.prefetch(ctx, p, bc.BuildPlatforms[0], bc.TargetPlatforms, test)
	// Reading the frontend's own image and the module files are two round trips to the
	// daemon that a no-op build waits for: side by side. BuildKit starts fetching an
	// imported cache's manifest when a solve that names it is first read, and the solve that
	// names it waits for the fetch: the frontend's own image, read from the build's start
	// and needed only at the conversion, names the build's cache imports where it is read;
	// else the module files do (readModuleFiles).
	helperImports, moduleImports := bc.CacheImports, []client.CacheOptionsEntry(nil)
	if !readsOwnImage(c, bc.BuildPlatforms[0]) {
		helperImports, moduleImports = nil, bc.CacheImports
	}
	helper := make(chan *goimagellb.PrebuiltHelper, 1)
	go func() { helper <- prebuiltHelper(ctx, c, imgs, bc.BuildPlatforms[0], helperImports) }()
	opt := goimagellb.Options{
		BuildPlatform:    bc.BuildPlatforms[0],
		Epoch:            epoch,
		SourceMap:        src.SourceMap,
		CacheIDNamespace: bc.CacheIDNamespace,
		Labels:           ociLabels(c.BuildOpts().Opts, epoch),
		Images:           imgs,
		Context: func(opts ...llb.LocalOption) (llb.State, error) {
			st, err := bc.MainContext(ctx, opts...)
			if err != nil {
				return llb.State{}, fmt.Errorf("build context: %w", err)
			}
			return *st, nil
		},
	}
	opt.SBOM = bc.SBOM != nil && !test
	var noCache []llb.ConstraintsOpt
	if bc.IsNoCache(bc.Target) {
		// --no-cache (or a --no-cache-filter naming the target): every step runs again,
		// and BuildKit gives them new, empty cache mounts, as for a Dockerfile.
		noCache = append(noCache, llb.IgnoreCache)
	}
	opt.Reader = &stateReader{c: c, cacheImports: bc.CacheImports, sm: src.SourceMap, opts: noCache}
	// A build that imports a cache most likely finds there the steps that read the standard
	// library and the toolchain images, and would pull them for nothing. The test target
	// never reads the standard library image, and the toolchain image only in its download
	// steps (which it shares with the image's build) beside the builder it tests on: it
	// pulls neither ahead.
	published := &publishedImages{
		c: c, source: c.BuildOpts().Opts[frontendSourceKey], pull: len(bc.CacheImports) == 0 && !test,
		toolchain: !namedContext(bc, p.Builder.Ref, bc.BuildPlatforms[0]),
	}
	if !test {
		published.prefetch(ctx, imgs, p, bc.BuildPlatforms[0], bc.TargetPlatforms)
	}
	opt.Stdlib, opt.Toolchain = published, published
	llbCaps := c.BuildOpts().LLBCaps
	opt.LLBCaps = &llbCaps
	if !s.Vendor {
		// The list step of a vendored module, or of generated source, reads the context,
		// and the test target has none.
		headers := make(chan map[string][]byte, 1)
		if len(s.Generate) == 0 && !test {
			go func() {
				src, err := opt.Context(goimagellb.ContextSource()...)
				if err != nil {
					headers <- nil
					return
				}
				headers <- readImportHeaders(ctx, c, src, s.Dir)
			}()
		} else {
			headers <- nil
		}
		opt.ModuleFiles, err = readModuleFiles(ctx, c, bc, s.Dir, moduleImports)
		opt.ImportHeaders = <-headers
		if err != nil {
			return nil, err
		}
	}
	opt.Helper = <-helper
	var sboms sync.Map // platform -> client.Reference of the SBOM
	rb, err := bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		o := opt
		if platform != nil {
			o.TargetPlatform = platform
		}
		res, err := convert(ctx, p, o, test)
		if err != nil {
			return nil, withSource(err, src.SourceMap)
		}
		def, err := marshal(ctx, c, res.State, src.SourceMap, "LLB for "+platforms.Format(res.Image.Platform), noCache...)
		if err != nil {
			return nil, err
		}
		r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports})
		if err != nil {
			return nil, err
		}
		ref, err := r.SingleRef()
		if err != nil {
			return nil, err
		}
		if res.SBOM != nil {
			sbom, err := solveState(ctx, c, *res.SBOM, nil, noCache...)
			if err != nil {
				return nil, fmt.Errorf("SBOM: %w", err)
			}
			sboms.Store(platforms.Format(platforms.Normalize(res.Image.Platform)), sbom)
		}
		return &dockerui.BuildResult{Reference: ref, Image: res.Image, BaseImage: res.BaseImage, Epoch: epoch}, nil
	})
	if err != nil {
		return nil, err
	}
	if opt.SBOM {
		// An SBOM from the frontend stands in for BuildKit's scanner, which would guess
		// from the image what the binaries' build information says exactly.
		if err := rb.EachPlatform(ctx, func(_ context.Context, id string, p ocispecs.Platform) error {
			ref, ok := sboms.Load(platforms.Format(platforms.Normalize(p)))
			if !ok {
				return fmt.Errorf("SBOM: none for %s", platforms.Format(p))
			}
			rb.AddAttestation(id, result.Attestation[client.Reference]{
				Kind:     gatewaypb.AttestationKind_InToto,
				Ref:      ref.(client.Reference),
				Path:     goimagellb.SBOMPath,
				InToto:   result.InTotoAttestation{PredicateType: predicateSPDX},
				Metadata: map[string][]byte{result.AttestationReasonKey: []byte(result.AttestationReasonSBOM)},
			})
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return rb.Finalize()
}

// predicateSPDX is the in-toto predicate type of an SPDX document.
const predicateSPDX = "https://spdx.dev/Document"

// marshal marshals a state (what, for its error) with the daemon's LLB capabilities, and
// refuses a definition that needs one the daemon lacks (checkCaps), at the Goimagefile
// ranges sm gives.
func marshal(ctx context.Context, c client.Client, st llb.State, sm *llb.SourceMap, what string, opts ...llb.ConstraintsOpt) (*llb.Definition, error) {
	llbCaps := c.BuildOpts().LLBCaps
	def, err := st.Marshal(ctx, append([]llb.ConstraintsOpt{llb.WithCaps(llbCaps)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", what, err)
	}
	if err := checkCaps(def, &llbCaps, sm); err != nil {
		return nil, err
	}
	return def, nil
}

// solveState solves a state of the build to a reference, naming the cache imports given.
func solveState(ctx context.Context, c client.Client, st llb.State, imports []client.CacheOptionsEntry, opts ...llb.ConstraintsOpt) (client.Reference, error) {
	def, err := marshal(ctx, c, st, nil, "LLB", opts...)
	if err != nil {
		return nil, err
	}
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: imports})
	if err != nil {
		return nil, err
	}
	return r.SingleRef()
}

// convert is the graph of the image, or of the test target.
func convert(ctx context.Context, p *plan.Plan, o goimagellb.Options, test bool) (*goimagellb.Result, error) {
	if !test {
		return goimagellb.Convert(ctx, p, o)
	}
	st, err := goimagellb.ConvertTest(ctx, p, o)
	if err != nil {
		return nil, err
	}
	platform := o.BuildPlatform
	if o.TargetPlatform != nil {
		platform = *o.TargetPlatform
	}
	img := &dockerspec.DockerOCIImage{}
	img.Platform = platforms.Normalize(platform)
	img.RootFS.Type = "layers"
	return &goimagellb.Result{State: st, Image: img}, nil
}

// Built-in build args for ldflags: the VCS revision and the build time.
const (
	RevisionArg = "GOIMAGE_REVISION"
	DateArg     = "GOIMAGE_DATE"
)

// epochArg is the build arg of the time of every file and of the image.
const epochArg = "SOURCE_DATE_EPOCH"

// buildArgs are the build's args with the built-in ones: the revision buildx sends as
// vcs:revision when the context is a git checkout, and SOURCE_DATE_EPOCH as RFC 3339. A
// build arg of the same name wins.
func buildArgs(args, opts map[string]string, epoch *time.Time) map[string]string {
	out := map[string]string{RevisionArg: opts["vcs:revision"], DateArg: time.Unix(0, 0).UTC().Format(time.RFC3339)}
	if epoch != nil {
		out[DateArg] = epoch.Format(time.RFC3339)
	}
	maps.Copy(out, args)
	return out
}

// ociLabels are the OCI annotations the build knows: the VCS source and revision buildx sends
// for a git context (vcs:source, vcs:revision), and the creation time when SOURCE_DATE_EPOCH
// fixes it.
func ociLabels(opts map[string]string, epoch *time.Time) map[string]string {
	labels := map[string]string{}
	if v := opts["vcs:source"]; v != "" {
		labels["org.opencontainers.image.source"] = v
	}
	if v := opts["vcs:revision"]; v != "" {
		labels["org.opencontainers.image.revision"] = v
	}
	if epoch != nil {
		labels["org.opencontainers.image.created"] = epoch.Format(time.RFC3339)
	}
	return labels
}

// sourceDateEpoch reads the SOURCE_DATE_EPOCH build arg; unset, the converter uses the Unix
// epoch, so that identical inputs always give identical digests.
func sourceDateEpoch(args map[string]string) (*time.Time, error) {
	v, ok := args[epochArg]
	if !ok || v == "" {
		return nil, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH: want seconds since 1970, got %q", v)
	}
	t := time.Unix(sec, 0).UTC()
	return &t, nil
}

// withDefaultFilename makes "Goimagefile" the file read when the build names none, as
// `buildctl --frontend gateway.v0` does; the syntax line and buildx -f always name it.
func withDefaultFilename(c client.Client) client.Client {
	opts := c.BuildOpts()
	if _, ok := opts.Opts["filename"]; ok {
		return c
	}
	return &filenameClient{Client: c}
}

type filenameClient struct{ client.Client }

func (c *filenameClient) BuildOpts() client.BuildOpts {
	opts := c.Client.BuildOpts()
	o := make(map[string]string, len(opts.Opts)+1)
	for k, v := range opts.Opts {
		o[k] = v
	}
	o["filename"] = DefaultFilename
	opts.Opts = o
	return opts
}
