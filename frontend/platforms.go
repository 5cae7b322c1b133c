package frontend

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/worker/label"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// filePlatforms are the target platforms of a build that asks for none: the file's
// `platforms`. Docker Engine's classic image store holds one platform per image and cannot
// export several, so there the build makes one of them, the build platform's if it is listed,
// else the first, and says so in a warning at the field: `docker build -f Goimagefile .`
// works as it does for a Dockerfile, and --platform still asks for any.
func filePlatforms(ctx context.Context, p *plan.Plan, opts client.BuildOpts, src *dockerui.Source, build ocispecs.Platform) []ocispecs.Platform {
	s := p.Spec
	var ps []ocispecs.Platform
	for _, p := range s.Platforms {
		pp, _ := spec.ParsePlatform(p) // validated by Parse
		ps = append(ps, pp)
	}
	if len(ps) < 2 || !classicImageStore(opts.Workers) {
		return ps
	}
	one := ps[0]
	if i := slices.IndexFunc(ps, platforms.OnlyStrict(build).Match); i >= 0 {
		one = ps[i]
	}
	src.Warn(ctx, fmt.Sprintf("Docker Engine's classic image store holds one platform per image: building %s of %s; pass --platform, or use the containerd image store or a docker-container builder, for the others",
		platforms.Format(one), strings.Join(s.Platforms, ", ")), client.WarnOpts{Range: []*pb.Range{goimagellb.Range(p.At("platforms").Range)}})
	return []ocispecs.Platform{one}
}

// classicImageStore says the build runs on Docker Engine's BuildKit with the classic image
// store: workers with neither an executor nor a snapshotter label. Every buildkitd worker
// names its executor (oci, containerd), and the containerd image store's worker of Docker
// Engine names its snapshotter; the classic store's has no snapshotter, and at most the
// engine's own labels (its host gateway).
func classicImageStore(workers []client.WorkerInfo) bool {
	if len(workers) == 0 {
		return false
	}
	for _, w := range workers {
		_, executor := w.Labels[label.Executor]
		_, snapshotter := w.Labels[label.Snapshotter]
		if executor || snapshotter {
			return false
		}
	}
	return true
}
