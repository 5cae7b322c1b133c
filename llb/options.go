package llb

import (
	"context"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/util/apicaps"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options are the inputs of Convert beyond the spec.
type Options struct {
	// TargetPlatform is the platform of the image; nil means the spec's first platform,
	// else the build platform.
	TargetPlatform *ocispecs.Platform
	// BuildPlatform is where the go commands run; the zero value means the host's.
	BuildPlatform ocispecs.Platform
	// Epoch is the time every file and the image carry (SOURCE_DATE_EPOCH); nil means
	// the Unix epoch, so that the same inputs always give the same digest.
	Epoch *time.Time
	// Context returns the build context; nil means llb.Local("context", opts...).
	Context func(opts ...llb.LocalOption) (llb.State, error)
	// Images resolves the builder and base images; nil means plain llb.Image states
	// with no configuration.
	Images ImageSource
	// SourceMap, when set, ties every op to the Goimagefile line that caused it.
	SourceMap *llb.SourceMap
	// CacheIDNamespace prefixes cache mount ids (BUILDKIT_CACHE_MOUNT_NS).
	CacheIDNamespace string
	// SBOM asks for Result.SBOM, an SPDX document of the Go modules in the binaries.
	SBOM bool
	// Labels are added to the image configuration under the spec's own (which win): the OCI
	// annotations the frontend knows from the build, such as the VCS source and revision.
	Labels map[string]string
	// Helper is goimage-helper built ahead for the build platform, from this package's
	// helper source (HelperDir says where); nil means the graph builds it, a compile on the
	// critical path of a cold build.
	Helper *PrebuiltHelper
	// ModuleFiles are the build's go.mod, go.sum, go.work.sum and go.work files by path
	// (from ModuleFilesSource), read ahead of the conversion: the module versions
	// then download in steps of their own, where go.sum names every requirement of go.mod
	// and there is no go.work. Nil means unknown, and one step downloads every module.
	ModuleFiles map[string][]byte
	// ImportHeaders are the import headers (ImportHeader) of the Go files of the module
	// directory by path, those that ListedDir and ListedGoFile keep, read ahead of the
	// conversion: the list step then reads them and ModuleFiles instead of the build
	// context, and an edit that changes no import leaves it cached. Nil means unknown, and
	// the list step reads the context.
	ImportHeaders map[string][]byte
	// LLBCaps are the daemon's LLB capabilities (the gateway's BuildOpts().LLBCaps); nil
	// means every one this BuildKit knows. The converter reads them before emitting an op
	// that has a fallback: without MergeOp, which Docker Engine disables on its graphdriver
	// image store, one step downloads every module.
	LLBCaps *apicaps.CapSet
	// Reader solves a state of the graph and reads a file of it during the conversion: the
	// frontend's gateway client. The converter reads the list of each build's dependencies
	// with it, and gives their modules compile steps of their own. Nil means one step
	// compiles every dependency.
	Reader StateReader
	// Stdlib finds the standard library compiled ahead by the builder's Go version; nil
	// means the graph compiles every standard library package it needs.
	Stdlib StdlibSource
	// Toolchain finds the Go toolchain published ahead by the builder's Go version; nil means
	// the toolchain layer is copied out of the builder image.
	Toolchain ToolchainSource
}

// supports reports whether the daemon has an LLB capability.
func (o Options) supports(id apicaps.CapID) bool {
	return o.LLBCaps == nil || o.LLBCaps.Supports(id) == nil
}

// PrebuiltHelper is goimage-helper in a state built ahead of the build, such as the
// frontend's own image: the executable goimage-helper in directory Dir of State.
type PrebuiltHelper struct {
	State llb.State
	Dir   string
}

// ImageSource resolves an image reference for a platform: its state and configuration.
type ImageSource interface {
	Image(ctx context.Context, ref string, platform ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error)
}

// StdlibSource finds a build cache (the go command's GOCACHE layout, at the root of the state)
// holding the standard library compiled with cgo off and -trimpath by Go goVersion (the
// builder's GOLANG_VERSION) running on build, for target. ok is false when there is none.
// Its entries only ever add cache hits: the action IDs of the standard library step name the
// compiler, flags and sources, so a cache of another toolchain just misses.
type StdlibSource interface {
	Stdlib(ctx context.Context, goVersion string, build, target ocispecs.Platform) (st llb.State, ok bool)
}

// ToolchainSource finds the Go toolchain of Go goVersion (the builder's GOLANG_VERSION) for
// the build platform, laid out as the toolchain layer is (goRoot without toolchainExcludes,
// and /tmp) with the CA bundle at caBundle: a state the converter runs the offline go
// commands and the download on instead of the builder image, so that a cold builder pulls
// it and not the whole image. ok is false when there is none. It must hold the GOROOT of the
// golang image of that version, byte for byte where the go command reads: the converter
// asks only where the builder is that image.
type ToolchainSource interface {
	Toolchain(ctx context.Context, goVersion string, build ocispecs.Platform) (st llb.State, ok bool)
}

func (o Options) buildPlatform() ocispecs.Platform {
	if o.BuildPlatform.OS == "" {
		return platforms.Normalize(platforms.DefaultSpec())
	}
	return platforms.Normalize(o.BuildPlatform)
}

func (o Options) epoch() time.Time {
	if o.Epoch != nil {
		return o.Epoch.UTC()
	}
	return time.Unix(0, 0).UTC()
}

func (o Options) context(opts ...llb.LocalOption) (llb.State, error) {
	if o.Context != nil {
		return o.Context(opts...)
	}
	return llb.Local("context", opts...), nil
}

func (o Options) image(ctx context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	if o.Images != nil {
		return o.Images.Image(ctx, ref, p)
	}
	return llb.Image(ref, llb.Platform(p)), nil, nil
}
