package llb

import (
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
)

// SBOMPath is where the SBOM state holds the SPDX document.
const SBOMPath = "/sbom.spdx.json"

// sbom runs goimage-helper sbom on the image's binaries, on the build platform and offline:
// an SPDX document of the Go modules each binary links, from its own build information.
func (c *converter) sbom(image llb.State) llb.State {
	args := []string{helperBin, "sbom", "-o", outDir + SBOMPath, "-created", c.opt.epoch().Format(time.RFC3339)}
	var names []string
	for _, b := range c.plan.Spec.Binaries {
		args = append(args, "/goimage/image/"+b.Name)
		names = append(names, "/"+b.Name)
	}
	run := c.goRunRoot().Run(append(envOpts(c.toolEnv()),
		llb.Args(args), llb.Network(llb.NetModeNone),
		llb.WithCustomNamef("SBOM of %s %s", strings.Join(names, " "), platforms.Format(c.target)), c.location("binaries"),
	)...)
	run.AddMount("/goimage/image", image, llb.Readonly)
	c.mountHelper(run)
	return run.AddMount(outDir, llb.Scratch())
}
