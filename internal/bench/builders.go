package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// buildkitBuilder builds with buildctl on the workbench daemon: goimage through the
// Goimagefile's syntax line, the Dockerfile variants through BuildKit's Dockerfile frontend.
type buildkitBuilder struct{ v *variantRun }

func (b *buildkitBuilder) args(addr string, platforms []string, extra ...string) []string {
	v := b.v
	args := []string{"--addr", addr, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + v.ctxDir(), "--opt", "platform=" + strings.Join(platforms, ","),
		"--output", "type=image,name=" + v.imageRef() + ",push=true,registry.insecure=true"}
	if v.variant == Goimage {
		args = append(args, "--local", "dockerfile="+v.ctxDir(), "--opt", "filename=Goimagefile")
	} else {
		args = append(args, "--local", "dockerfile="+v.dir, "--opt", "filename=Dockerfile")
	}
	return append(args, extra...)
}

func (b *buildkitBuilder) reset(ctx context.Context) error {
	return b.v.run(ctx, "", nil, "buildctl", "--addr", b.v.opt.Addr, "prune", "--all")
}

func (b *buildkitBuilder) build(ctx context.Context, platforms []string) error {
	return b.v.run(ctx, "", nil, "buildctl", b.args(b.v.opt.Addr, platforms)...)
}

func (b *buildkitBuilder) supportsCI() bool { return true }

// exportCache builds on the workbench daemon (untimed) exporting every layer to the registry,
// as a CI pipeline's main branch does.
func (b *buildkitBuilder) exportCache(ctx context.Context) error {
	return b.v.run(ctx, "", nil, "buildctl", b.args(b.v.opt.Addr, []string{"linux/amd64"},
		"--export-cache", "type=registry,mode=max,registry.insecure=true,ref="+b.v.cacheRef())...)
}

// fresh builds on a buildkitd with an empty root that imports the registry cache. Starting
// and stopping the daemon is outside the measurement: a CI runner has its builder up.
func (b *buildkitBuilder) fresh(ctx context.Context) error {
	d, err := b.v.startFresh(ctx)
	if err != nil {
		return err
	}
	defer d.Stop()
	return b.v.run(ctx, "", nil, "buildctl", b.args(d.Addr, []string{"linux/amd64"},
		"--import-cache", "type=registry,registry.insecure=true,ref="+b.v.cacheRef())...)
}

// size reads the pushed image's linux/amd64 manifest from the registry.
func (b *buildkitBuilder) size(ctx context.Context) (Size, bool, error) {
	v := b.v
	repo, tag, _ := strings.Cut(strings.TrimPrefix(v.imageRef(), v.opt.Mirror+"/"), ":")
	var m struct {
		Manifests []struct {
			Digest   string
			Platform struct{ OS, Architecture string }
		}
		Layers []struct{ Size int64 }
	}
	if err := getManifest(ctx, v.opt.Registry, repo, tag, &m); err != nil {
		return Size{}, false, err
	}
	for _, d := range m.Manifests {
		if d.Platform.OS == "linux" && d.Platform.Architecture == "amd64" {
			if err := getManifest(ctx, v.opt.Registry, repo, d.Digest, &m); err != nil {
				return Size{}, false, err
			}
			break
		}
	}
	if len(m.Layers) == 0 {
		return Size{}, false, fmt.Errorf("%s: no layers", v.imageRef())
	}
	s := Size{Project: v.p.Name, Variant: v.variant, ImageLayers: len(m.Layers)}
	for _, l := range m.Layers {
		s.Image += l.Size
	}
	s.BinaryLayer = m.Layers[len(m.Layers)-1].Size
	return s, true, nil
}

func getManifest(ctx context.Context, registry, repo, ref string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, ref), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// hostBuilder runs go build on the host with caches of its own: the floor no image build can
// beat. Its cold runs start with empty build and module caches, like a cold builder.
type hostBuilder struct{ v *variantRun }

func (h *hostBuilder) caches() (gocache, modcache string) {
	return filepath.Join(h.v.dir, "gocache"), filepath.Join(h.v.dir, "gomodcache")
}

func (h *hostBuilder) reset(ctx context.Context) error {
	gocache, modcache := h.caches()
	// -modcacherw made the module cache removable.
	for _, d := range []string{gocache, modcache} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

func (h *hostBuilder) build(ctx context.Context, platforms []string) error {
	v := h.v
	gocache, modcache := h.caches()
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		env := []string{"GOCACHE=" + gocache, "GOMODCACHE=" + modcache, "GOFLAGS=-modcacherw",
			"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch, "GOTOOLCHAIN=local", "GOWORK=off"}
		for _, bin := range v.p.Plan.Binaries {
			args := []string{"build", "-trimpath", "-ldflags=-s -w"}
			if len(bin.Tags) > 0 {
				args = append(args, "-tags", strings.Join(bin.Tags, ","))
			}
			args = append(args, "-o", filepath.Join(v.dir, "out", p, bin.Name), bin.Package)
			if err := v.run(ctx, v.p.moduleDir(v.ctxDir()), env, "go", args...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *hostBuilder) supportsCI() bool                         { return false }
func (h *hostBuilder) exportCache(context.Context) error        { return nil }
func (h *hostBuilder) fresh(context.Context) error              { return nil }
func (h *hostBuilder) size(context.Context) (Size, bool, error) { return Size{}, false, nil }
