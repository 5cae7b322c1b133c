package llb

import (
	"context"
	"strings"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/plan"
	"github.com/moby/buildkit/client/llb"
)

// ConvertTest returns the graph of the test target: go test of the spec's test packages on
// the build platform, with the build's module cache and build cache and the network off. A
// failing test fails the step, and so the build, at the Goimagefile's test field. Its result
// is an empty directory: what matters is that it ran and passed.
func ConvertTest(ctx context.Context, p *plan.Plan, opt Options) (llb.State, error) {
	native := opt.buildPlatform()
	opt.TargetPlatform = &native // tests run, so they are built for the platform they run on
	c, in, err := newConverter(ctx, p, opt)
	if err != nil {
		return llb.State{}, err
	}
	t := p.Test
	args := append([]string{"go", "test", "-trimpath"}, t.Flags...)
	run := c.offlineGoRun(c.builder, c.offlineEnv(), inWorkspace(append(args, t.Packages...)), c.moduleDir(), in.modCache,
		llb.WithCustomNamef("go test %s %s", strings.Join(t.Packages, " "), platforms.Format(c.target)), c.at(t.At))
	run.AddMount(srcDir, in.src, llb.Readonly)
	return run.AddMount(outDir, llb.Scratch()), nil
}
