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

// mobyWorkerLabel starts the labels only Docker Engine's BuildKit workers carry.
const mobyWorkerLabel = "org.mobyproject.buildkit.worker.moby."

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
// store: a moby worker (its labels say so) without a containerd snapshotter, which the
// containerd image store's worker and every buildkitd worker have.
func classicImageStore(workers []client.WorkerInfo) bool {
	if len(workers) == 0 {
		return false
	}
	for _, w := range workers {
		moby := false
		for k := range w.Labels {
			moby = moby || strings.HasPrefix(k, mobyWorkerLabel)
		}
		if _, ok := w.Labels[label.Snapshotter]; ok || !moby {
			return false
		}
	}
	return true
}
