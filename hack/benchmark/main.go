// Command benchmark is hack/bench's program: see internal/bench and the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/goimage/goimage/internal/bench"
)

func main() {
	runs := flag.Int("n", 3, "runs per scenario; the report gives the median")
	variants := flag.String("variants", strings.Join(bench.AllVariants, ","), "variants to build")
	scenarios := flag.String("scenarios", strings.Join(bench.AllScenarios, ","), "scenarios to run")
	sources := flag.String("sources", os.Getenv("GOIMAGE_BENCH_SOURCES"), "where git directories of real projects (SOURCE files) are found (default $GOIMAGE_BENCH_SOURCES)")
	work := flag.String("work", "", "scratch directory (default: a new temporary one, removed at the end)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: hack/bench [-n N] [-variants V,...] [-scenarios S,...] [DIR ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*runs, split(*variants), split(*scenarios), *sources, *work, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(runs int, variants, scenarios []string, sources, work string, dirs []string) error {
	if runs < 1 {
		return fmt.Errorf("-n %d: want at least 1", runs)
	}
	if err := known("variant", variants, bench.AllVariants); err != nil {
		return err
	}
	if err := known("scenario", scenarios, bench.AllScenarios); err != nil {
		return err
	}
	if work == "" {
		tmp, err := os.MkdirTemp("", "goimage-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	if len(dirs) == 0 {
		dirs = []string{"examples/hello", "examples/deps", "examples/multi", "hack/bench-projects/yq"}
	}
	bumps, err := bench.ReadBumps("hack/bench-bumps")
	if err != nil {
		return err
	}
	var projects []*bench.Project
	for _, d := range dirs {
		p, err := bench.LoadProject(d, sources, work)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: skipping %s: %v\n", d, err)
			continue
		}
		p.Bump = bumps[p.Name]
		projects = append(projects, p)
	}
	if len(projects) == 0 {
		return fmt.Errorf("no project to measure")
	}
	opt := bench.Options{
		Runs: runs, Variants: variants, Scenarios: scenarios,
		Addr:     os.Getenv("BUILDKIT_HOST"),
		Registry: "127.0.0.1:5000", Mirror: "localhost:5000",
		Work: filepath.Join(work, "runs"), Progress: os.Stderr,
	}
	if slices.Contains(variants, bench.Ko) {
		if opt.Ko, err = buildKo(work); err != nil {
			return err
		}
	}
	// An interrupt stops the build under way and still runs the cleanup: the fresh daemons
	// and the scratch directory go, the workbench is left as it was.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := bench.Run(ctx, projects, opt)
	r.Write(os.Stdout, opt)
	if len(r.Failures) > 0 {
		return fmt.Errorf("%d variant(s) failed", len(r.Failures))
	}
	return nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func known(what string, got, all []string) error {
	for _, g := range got {
		found := false
		for _, a := range all {
			found = found || a == g
		}
		if !found {
			return fmt.Errorf("unknown %s %q: want one of %s", what, g, strings.Join(all, ", "))
		}
	}
	return nil
}

// buildKo builds ko from hack/tools/ko, whose go.mod pins it, into dir.
func buildKo(dir string) (string, error) {
	bin := filepath.Join(dir, "ko")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/google/ko")
	cmd.Dir = filepath.Join("hack", "tools", "ko")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build ko (hack/tools/ko): %w", err)
	}
	return bin, nil
}
