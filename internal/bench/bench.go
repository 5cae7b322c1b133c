package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goimage/goimage/internal/workbench"
)

// The scenarios, in the order they run for each variant.
const (
	Cold      = "cold"      // after buildctl prune --all
	Noop      = "noop"      // the same build again
	Edit      = "edit"      // one function appended to a Go file of the main package
	Gomod     = "gomod"     // a dependency added or bumped with go get
	CI        = "ci"        // a fresh buildkitd importing the registry cache of the last build
	CIEdit    = "ci-edit"   // the same after an edit
	CIGomod   = "ci-gomod"  // the same after the project's bump of a module it imports (hack/bench-bumps)
	Platforms = "platforms" // linux/amd64 and linux/arm64, after buildctl prune --all
)

// AllScenarios in run and report order.
var AllScenarios = []string{Cold, Noop, Edit, Gomod, CI, CIEdit, CIGomod, Platforms}

// Options say what to measure and where.
type Options struct {
	// Runs is how many times each scenario runs; the report gives the median.
	Runs int
	// Variants and Scenarios select from AllVariants and AllScenarios.
	Variants, Scenarios []string
	// Addr is the workbench daemon's address.
	Addr string
	// Registry is the workbench registry as the host reaches it, Mirror as the daemon does.
	Registry, Mirror string
	// Ko is the ko binary, for the ko variant.
	Ko string
	// Work is a scratch directory, removed by the caller.
	Work string
	// Progress receives a line per measured build.
	Progress io.Writer
}

// Measurement is what one variant gave in one scenario.
type Measurement struct {
	Project, Variant, Scenario string
	Seconds                    []float64
}

// Size is the compressed size of a variant's image and of its binaries' layer.
type Size struct {
	Project, Variant    string
	Image, BinaryLayer  int64
	ImageLayers, Arches int
}

// Report is everything a run measured.
type Report struct {
	Measurements []*Measurement
	Sizes        []Size
	Failures     []string
}

// Run measures every project with every selected variant, one variant after another on the
// same daemon, so that the ratios compare like with like.
func Run(ctx context.Context, projects []*Project, opt Options) *Report {
	r := &Report{}
	for _, p := range projects {
		for _, v := range opt.Variants {
			if ctx.Err() != nil {
				// Interrupted: report what was measured, not a failure per variant left.
				r.Failures = append(r.Failures, fmt.Sprintf("interrupted before %s %s", p.Name, v))
				return r
			}
			run := &variantRun{opt: opt, p: p, variant: v, report: r,
				dir: filepath.Join(opt.Work, p.Name, v)}
			if err := run.all(ctx); err != nil {
				if ctx.Err() != nil {
					r.Failures = append(r.Failures, fmt.Sprintf("interrupted during %s %s", p.Name, v))
					return r
				}
				msg := fmt.Sprintf("%s %s: %v", p.Name, v, err)
				fmt.Fprintf(opt.Progress, "FAILED %s\n", msg)
				r.Failures = append(r.Failures, msg)
			}
		}
	}
	return r
}

// variantRun is one variant of one project through every scenario.
type variantRun struct {
	opt     Options
	p       *Project
	variant string
	report  *Report
	dir     string
	edits   int
}

func (v *variantRun) ctxDir() string  { return filepath.Join(v.dir, "context") }
func (v *variantRun) logFile() string { return filepath.Join(v.dir, "build.log") }
func (v *variantRun) imageRef() string {
	return fmt.Sprintf("%s/goimage-bench/%s:%s", v.opt.Mirror, v.p.Name, v.variant)
}
func (v *variantRun) cacheRef() string {
	return fmt.Sprintf("%s/goimage-bench/cache:%s-%s", v.opt.Mirror, v.p.Name, v.variant)
}

func (v *variantRun) selected(s string) bool { return slices.Contains(v.opt.Scenarios, s) }

func (v *variantRun) all(ctx context.Context) error {
	if err := v.p.workCopy(v.ctxDir()); err != nil {
		return err
	}
	if v.variant != Goimage && v.variant != Host && v.variant != Ko {
		var df string
		if v.variant == DockerInit {
			_, err := os.Stat(filepath.Join(v.p.moduleDir(v.ctxDir()), "go.sum"))
			df = dockerInitDockerfile(v.p.Plan, err == nil)
		} else {
			df = dockerfile(v.variant, v.p.Plan)
		}
		if err := os.WriteFile(filepath.Join(v.dir, "Dockerfile"), []byte(df), 0o644); err != nil {
			return err
		}
	}
	b := v.builder()
	one, two := []string{"linux/amd64"}, []string{"linux/amd64", "linux/arm64"}
	steps := []struct {
		scenario string
		prepare  func(i int) error
		build    func(ctx context.Context) error
	}{
		{Cold, func(int) error { return b.reset(ctx) }, func(ctx context.Context) error { return b.build(ctx, one) }},
		{Noop, nil, func(ctx context.Context) error { return b.build(ctx, one) }},
		{Edit, v.edit, func(ctx context.Context) error { return b.build(ctx, one) }},
		{Gomod, func(i int) error { return v.p.bumpModule(v.ctxDir(), i) }, func(ctx context.Context) error { return b.build(ctx, one) }},
		{CI, nil, b.fresh},
		{CIEdit, v.edit, b.fresh},
		// Each run exports the cache of the state it starts from, then moves the module one
		// step, the other way on every second run.
		{CIGomod, func(i int) error {
			if err := b.exportCache(ctx); err != nil {
				return fmt.Errorf("export the cache: %w", err)
			}
			return v.p.bump(v.ctxDir(), i)
		}, b.fresh},
		{Platforms, func(int) error { return b.reset(ctx) }, func(ctx context.Context) error { return b.build(ctx, two) }},
	}
	for _, st := range steps {
		if !v.selected(st.scenario) {
			continue
		}
		if st.scenario == CIGomod && (v.p.Bump == nil || !b.supportsCI()) {
			continue
		}
		if st.scenario == CI || st.scenario == CIEdit {
			if !b.supportsCI() {
				continue
			}
			if err := b.exportCache(ctx); err != nil {
				return fmt.Errorf("export the cache: %w", err)
			}
		}
		m := &Measurement{Project: v.p.Name, Variant: v.variant, Scenario: st.scenario}
		for i := 0; i < v.opt.Runs; i++ {
			if st.prepare != nil {
				if err := st.prepare(i); err != nil {
					return fmt.Errorf("%s: %w", st.scenario, err)
				}
			}
			start := time.Now()
			if err := st.build(ctx); err != nil {
				return fmt.Errorf("%s: %w (log: %s)", st.scenario, err, v.logFile())
			}
			secs := time.Since(start).Seconds()
			m.Seconds = append(m.Seconds, secs)
			fmt.Fprintf(v.opt.Progress, "%-8s %-8s %-9s %d/%d %7.2fs\n", v.p.Name, v.variant, st.scenario, i+1, v.opt.Runs, secs)
		}
		v.report.Measurements = append(v.report.Measurements, m)
		if st.scenario == Noop {
			if sz, ok, err := b.size(ctx); err != nil {
				return fmt.Errorf("image size: %w", err)
			} else if ok {
				v.report.Sizes = append(v.report.Sizes, sz)
			}
		}
	}
	return nil
}

func (v *variantRun) edit(int) error {
	v.edits++
	return v.p.edit(v.ctxDir(), v.edits)
}

// builder is how a variant builds: through buildkitd, or on the host.
type builder interface {
	reset(ctx context.Context) error
	build(ctx context.Context, platforms []string) error
	supportsCI() bool
	exportCache(ctx context.Context) error
	fresh(ctx context.Context) error
	size(ctx context.Context) (Size, bool, error)
}

func (v *variantRun) builder() builder {
	switch v.variant {
	case Host:
		return &hostBuilder{v: v}
	case Ko:
		return &koBuilder{hostBuilder{v: v}}
	}
	return &buildkitBuilder{v: v}
}

// run runs a command, appending its output to the variant's log.
func (v *variantRun) run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	f, err := os.OpenFile(v.logFile(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// startFresh starts a buildkitd with an empty root for one CI run.
func (v *variantRun) startFresh(ctx context.Context) (*workbench.Daemon, error) {
	return workbench.StartDaemon(ctx, filepath.Join(v.opt.Work, "fresh-daemon"))
}
