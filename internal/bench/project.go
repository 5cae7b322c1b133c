package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

// Project is a directory holding a Goimagefile, as the bench builds it.
type Project struct {
	Name string
	// Dir is the pristine build context; every variant works on a copy of it.
	Dir string
	// Plan is what its Goimagefile means, resolved without build args: the variants
	// other than goimage build the same binaries from it.
	Plan *plan.Plan
	// Bump is the ci-gomod scenario's module bump; nil: the project has no ci-gomod.
	Bump *Bump
}

// Bump is one version step of a module the project imports.
type Bump struct {
	Module, From, To string
}

// ReadBumps reads a bumps file (hack/bench-bumps): lines "PROJECT MODULE FROM -> TO", with
// # comments.
func ReadBumps(file string) (map[string]*Bump, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	bumps := map[string]*Bump{}
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case len(f) == 5 && f[3] == "->":
			bumps[f[0]] = &Bump{Module: f[1], From: f[2], To: f[4]}
		default:
			return nil, fmt.Errorf("%s:%d: want PROJECT MODULE FROM -> TO", file, i+1)
		}
	}
	return bumps, nil
}

// LoadProject reads dir/Goimagefile. A directory with a SOURCE file ("REPO COMMIT", for a
// real project kept out of this repository) is materialised from a git directory under
// sources first, with the Goimagefile of dir placed at its root; work is where it goes.
func LoadProject(dir, sources, work string) (*Project, error) {
	name := filepath.Base(dir)
	ctx := dir
	if src, err := os.ReadFile(filepath.Join(dir, "SOURCE")); err == nil {
		ctx = filepath.Join(work, "source", name)
		if err := materialise(strings.Fields(string(src)), sources, ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := copyFile(filepath.Join(dir, "Goimagefile"), filepath.Join(ctx, "Goimagefile")); err != nil {
			return nil, err
		}
	}
	data, err := os.ReadFile(filepath.Join(ctx, "Goimagefile"))
	if err != nil {
		return nil, err
	}
	s, err := spec.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s/Goimagefile: %w", dir, err)
	}
	p, err := plan.Resolve(s, plan.Inputs{})
	if err != nil {
		return nil, fmt.Errorf("%s/Goimagefile: %w", dir, err)
	}
	return &Project{Name: name, Dir: ctx, Plan: p}, nil
}

// materialise extracts COMMIT of REPO (github owner/name) from a git directory found under
// sources as owner+name/repo, owner+name or name.
func materialise(src []string, sources, dst string) error {
	if len(src) != 2 {
		return fmt.Errorf("SOURCE: want \"OWNER/NAME COMMIT\", got %q", strings.Join(src, " "))
	}
	repo, commit := src[0], src[1]
	if sources == "" {
		return fmt.Errorf("no git directory of %s: pass -sources DIR or set GOIMAGE_BENCH_SOURCES", repo)
	}
	flat := strings.ReplaceAll(repo, "/", "+")
	var gitDir string
	for _, c := range []string{filepath.Join(sources, flat, "repo"), filepath.Join(sources, flat), filepath.Join(sources, filepath.Base(repo))} {
		if exec.Command("git", "--git-dir", c, "cat-file", "-e", commit+"^{commit}").Run() == nil {
			gitDir = c
			break
		}
		if exec.Command("git", "-C", c, "cat-file", "-e", commit+"^{commit}").Run() == nil {
			gitDir = filepath.Join(c, ".git")
			break
		}
	}
	if gitDir == "" {
		return fmt.Errorf("no git directory with %s at %s under %s (clone %s there, or set GOIMAGE_BENCH_SOURCES)", repo, commit, sources, repo)
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	archive := exec.Command("git", "--git-dir", gitDir, "archive", commit)
	untar := exec.Command("tar", "-x", "-C", dst)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return err
	}
	untar.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	if err := untar.Start(); err != nil {
		return err
	}
	if err := archive.Run(); err != nil {
		return fmt.Errorf("git archive %s: %v: %s", commit, err, stderr.String())
	}
	if err := untar.Wait(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, stderr.String())
	}
	return nil
}

// workCopy copies the project's context to dst, fresh.
func (p *Project) workCopy(dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return os.CopyFS(dst, os.DirFS(p.Dir))
}

// moduleDir is the module root inside a copy of the context.
func (p *Project) moduleDir(ctx string) string { return filepath.Join(ctx, p.Plan.Spec.Dir) }

// editNonce makes the edits of one bench run its own: a daemon that ran an earlier one
// without the cold scenario's prune has built the edits numbered alike.
var editNonce = time.Now().UnixNano()

// edit appends a new function to the first Go file of the first binary's main package: the
// one-line change of the edit scenarios, never seen before so never a cache hit of its own.
func (p *Project) edit(ctx string, n int) error {
	dir := filepath.Join(p.moduleDir(ctx), p.Plan.Binaries[0].Package)
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(fh, "\nfunc goimageBenchEdit%d_%d() {}\n", editNonce, n)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return fmt.Errorf("no Go file in %s", dir)
}

// gomodVersions are the versions the gomod scenario moves a small, dependency-free module
// between: added where the project lacks it, bumped where it has it.
var gomodVersions = []string{"v1.3.1", "v1.4.0", "v1.5.0", "v1.6.0", "v1.3.0"}

const gomodModule = "github.com/google/uuid"

// bumpModule requires gomodModule at the n-th version with the host's go command, which
// updates go.mod and go.sum as a developer's `go get` would.
func (p *Project) bumpModule(ctx string, n int) error {
	if out, err := p.goCommand(ctx, "get", gomodModule+"@"+gomodVersions[n%len(gomodVersions)]).CombinedOutput(); err != nil {
		return fmt.Errorf("go get: %v\n%s", err, out)
	}
	return nil
}

// goCommand is the host's go command in the module of a copy of the context, as a developer
// runs it: go.mod and go.sum updated as needed, the local toolchain, no go.work.
func (p *Project) goCommand(ctx string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = p.moduleDir(ctx)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	return cmd
}

// RecordedInit is what goimage init wrote for the corpus project in dir, as its
// Goimagefile.init records it: that file without the comment block that explains it (its
// first line, then init's output from "# Written by goimage init" on).
func RecordedInit(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Goimagefile.init"))
	if err != nil {
		return "", err
	}
	lines := strings.SplitAfter(string(data), "\n")
	i := 1
	for i < len(lines) && !strings.HasPrefix(lines[i], "# Written by goimage init") {
		i++
	}
	if i == len(lines) {
		return "", fmt.Errorf("%s/Goimagefile.init: no line \"# Written by goimage init\"", dir)
	}
	return lines[0] + strings.Join(lines[i:], ""), nil
}

// bump moves the project's Bump module to its To version on even runs and back to From on
// odd ones, with the host's go command, after checking that go.mod requires the version it
// moves from.
func (p *Project) bump(ctx string, n int) error {
	from, to := p.Bump.From, p.Bump.To
	if n%2 == 1 {
		from, to = to, from
	}
	out, err := p.goCommand(ctx, "list", "-m", "-f", "{{.Version}}", p.Bump.Module).Output()
	if err != nil || strings.TrimSpace(string(out)) != from {
		return fmt.Errorf("bump %s: go.mod requires %q (%v), not %s", p.Bump.Module, strings.TrimSpace(string(out)), err, from)
	}
	if out, err := p.goCommand(ctx, "get", p.Bump.Module+"@"+to).CombinedOutput(); err != nil {
		return fmt.Errorf("go get %s@%s: %v\n%s", p.Bump.Module, to, err, out)
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}
