package llb

import (
	"context"
	"strings"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
)

// ConvertTest returns the graph of the test target: go test of the spec's test packages on
// the build platform, with the build's module cache and build cache and the network off. A
// failing test fails the step, and so the build, at the Goimagefile's test field. Its result
// is an empty directory: what matters is that it ran and passed.
func ConvertTest(ctx context.Context, s *spec.Spec, opt Options) (llb.State, error) {
	native := opt.buildPlatform()
	opt.TargetPlatform = &native // tests run, so they are built for the platform they run on
	c, in, err := newConverter(ctx, s, opt)
	if err != nil {
		return llb.State{}, err
	}
	pkgs := s.Test.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	args := append([]string{"go", "test", "-trimpath"}, s.Test.Flags...)
	run := c.offlineGoRun(c.builder, c.offlineEnv(), append(args, pkgs...), c.moduleDir(), in.modCache,
		llb.WithCustomNamef("go test %s %s", strings.Join(pkgs, " "), platforms.Format(c.target)), c.location("test"))
	run.AddMount(srcDir, in.src, llb.Readonly)
	return run.AddMount(outDir, llb.Scratch()), nil
}
