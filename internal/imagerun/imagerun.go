// Package imagerun runs an image's entrypoint as a BuildKit exec and returns what it printed,
// so that built images can be tried on a machine with a daemon but no container engine.
package imagerun

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/identity"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Output is what a run printed.
type Output struct {
	Stdout, Stderr string
}

// Image runs the image ref (from a registry the daemon reaches) with its entrypoint and cmd,
// or with its entrypoint and args when args are given.
func Image(ctx context.Context, c *client.Client, ref string, args []string) (*Output, error) {
	return Build(ctx, c, client.SolveOpt{}, func(ctx context.Context, gw gateway.Client) (llb.State, *dockerspec.DockerOCIImage, error) {
		p := platforms.Normalize(platforms.DefaultSpec())
		_, _, dt, err := gw.ResolveImageConfig(ctx, ref, sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p}})
		if err != nil {
			return llb.State{}, nil, err
		}
		var img dockerspec.DockerOCIImage
		if err := json.Unmarshal(dt, &img); err != nil {
			return llb.State{}, nil, fmt.Errorf("image config of %s: %w", ref, err)
		}
		return llb.Image(ref, llb.Platform(p)), &img, nil
	}, args)
}

// Source yields the filesystem and configuration of the image to run, inside a build: from a
// registry, or from a frontend solved in the same build.
type Source func(ctx context.Context, gw gateway.Client) (llb.State, *dockerspec.DockerOCIImage, error)

// Build runs the image that src yields, in one build with opt (whose local dirs a frontend
// inside src may read), and returns its output.
func Build(ctx context.Context, c *client.Client, opt client.SolveOpt, src Source, args []string) (*Output, error) {
	name := "goimage run " + identity.NewID()
	ch := make(chan *client.SolveStatus)
	var out Output
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var stdout, stderr strings.Builder
		named := map[string]bool{}
		for s := range ch {
			for _, v := range s.Vertexes {
				if v.Name == name {
					named[v.Digest.String()] = true
				}
			}
			for _, l := range s.Logs {
				if !named[l.Vertex.String()] {
					continue
				}
				if l.Stream == 2 {
					stderr.Write(l.Data)
				} else {
					stdout.Write(l.Data)
				}
			}
		}
		out = Output{Stdout: stdout.String(), Stderr: stderr.String()}
		return nil
	})
	eg.Go(func() error {
		_, err := c.Build(ctx, opt, "goimage", func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
			st, img, err := src(ctx, gw)
			if err != nil {
				return nil, err
			}
			def, err := runState(st, img, args, name).Marshal(ctx)
			if err != nil {
				return nil, err
			}
			return gw.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB(), Evaluate: true})
		}, ch)
		return err
	})
	if err := eg.Wait(); err != nil {
		return &out, err
	}
	return &out, nil
}

// runState execs the image's command as the image's user, with its environment and working
// directory, the network off and the cache ignored, so it runs every time.
func runState(st llb.State, img *dockerspec.DockerOCIImage, args []string, name string) llb.State {
	cfg := img.Config
	argv := append([]string(nil), cfg.Entrypoint...)
	if len(args) > 0 {
		argv = append(argv, args...)
	} else {
		argv = append(argv, cfg.Cmd...)
	}
	opts := []llb.RunOption{llb.Args(argv), llb.Network(llb.NetModeNone), llb.IgnoreCache, llb.WithCustomName(name)}
	for _, kv := range cfg.Env {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, llb.AddEnv(k, v))
	}
	if cfg.User != "" {
		opts = append(opts, llb.User(cfg.User))
	}
	if cfg.WorkingDir != "" {
		opts = append(opts, llb.Dir(cfg.WorkingDir))
	}
	return st.Run(opts...).Root()
}
