package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
)

// koBuilder builds with ko (hack/tools/ko) on the host, as a ko user does: the go command of
// the host with the host variant's flags and caches of its own (removed for cold), the
// binaries onto the variant's base image from the workbench registry, each pushed there as an
// image of its own (ko makes one image per main package). ko has no CI scenarios: it keeps no
// cache a fresh builder could import.
type koBuilder struct{ hostBuilder }

func (k *koBuilder) build(ctx context.Context, platforms []string) error {
	v := k.v
	dir := v.p.moduleDir(v.ctxDir())
	base, err := koBase(v.p.Plan, v.opt.Registry)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ".ko.yaml"), []byte(koConfig(v.p.Plan, base)), 0o644); err != nil {
		return err
	}
	gocache, modcache := k.caches()
	env := []string{"GOCACHE=" + gocache, "GOMODCACHE=" + modcache, "GOFLAGS=-modcacherw",
		"CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOWORK=off",
		"KO_DOCKER_REPO=" + v.opt.Registry + "/goimage-bench/" + v.p.Name + "-ko"}
	args := []string{"build", "--insecure-registry", "--base-import-paths", "--tags", Ko,
		"--platform", strings.Join(platforms, ",")}
	for _, bin := range v.p.Plan.Binaries {
		args = append(args, bin.Package)
	}
	return v.run(ctx, dir, env, v.opt.Ko, args...)
}

// koBase is the plan's base image as the host reaches it in the workbench registry, which
// mirrors every registry's images under their paths. ko needs a base image: for scratch it
// gets distroless static, the closest it can build on.
func koBase(p *plan.Plan, registry string) (string, error) {
	ref := p.Base.Ref
	if ref == "" {
		ref = "gcr.io/distroless/static-debian12:nonroot"
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("base %s: %w", ref, err)
	}
	return registry + "/" + strings.TrimPrefix(named.String(), reference.Domain(named)+"/"), nil
}

// koConfig is the .ko.yaml of the plan's binaries: the host variant's flags and tags.
func koConfig(p *plan.Plan, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "defaultBaseImage: %s\nbuilds:\n", base)
	for _, bin := range p.Binaries {
		fmt.Fprintf(&b, "- id: %s\n  main: %s\n  flags: [-trimpath", bin.Name, bin.Package)
		if len(bin.Tags) > 0 {
			fmt.Fprintf(&b, ", -tags=%s", strings.Join(bin.Tags, ","))
		}
		b.WriteString("]\n  ldflags: [-s, -w]\n")
	}
	return b.String()
}
