package frontend

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/goimage/goimage/check"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/subrequests/lint"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
)

// listTargets answers `--call targets`: one target per binary, the first the default, then
// the test target.
func listTargets(p *plan.Plan, sm *llb.SourceMap) *targets.List {
	l := &targets.List{Sources: [][]byte{sm.Data}}
	for i, b := range p.Binaries {
		l.Targets = append(l.Targets, targets.Target{
			Name:        b.Name,
			Default:     i == 0,
			Description: fmt.Sprintf("go build %s", p.Spec.Binaries[i].Main),
			Base:        p.Spec.Base,
			Location:    location(b.At),
		})
	}
	l.Targets = append(l.Targets, targets.Target{
		Name:        spec.TestTarget,
		Description: "go test " + strings.Join(p.Test.Packages, " "),
		Location:    location(p.Test.At),
	})
	return l
}

// outlineOf answers `--call outline`: the build args the Goimagefile reads (plan.Args), then
// SOURCE_DATE_EPOCH, which the file does not name; the netrc secret and the SSH agent of the
// module download.
func outlineOf(p *plan.Plan, sm *llb.SourceMap) *outline.Outline {
	o := &outline.Outline{Sources: [][]byte{sm.Data}}
	for _, a := range p.Args {
		o.Args = append(o.Args, outline.Arg{Name: a.Name, Description: a.Description, Location: location(a.At)})
	}
	if !slices.ContainsFunc(p.Args, func(a plan.Arg) bool { return a.Name == epochArg }) {
		o.Args = append(o.Args, outline.Arg{Name: epochArg, Description: "the time of every file and of the image (default: 1970-01-01)"})
	}
	if id := p.Spec.Private.Netrc; id != "" {
		o.Secrets = append(o.Secrets, outline.Secret{Name: id, Location: location(p.At("private.netrc"))})
	}
	if p.Spec.Private.SSH {
		o.SSH = append(o.SSH, outline.SSH{Name: "default", Location: location(p.At("private.ssh"))})
	}
	return o
}

// location is a plan item's location as BuildKit shows it.
func location(l plan.Location) *pb.Location {
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{goimagellb.Range(l.Range)}}
}

// lintResults answers `--call check`: the check package's warnings at their Goimagefile lines.
func lintResults(p *plan.Plan, sm *llb.SourceMap, module check.Files) *lint.LintResults {
	res := &lint.LintResults{}
	src := res.AddSource(sm)
	for _, w := range check.Run(p, module) {
		start := parser.Position{Line: w.Range.Start.Line, Character: max(w.Range.Start.Column-1, 0)}
		end := parser.Position{Line: w.Range.End.Line, Character: max(w.Range.End.Column-1, 0)}
		res.AddWarning(w.Rule, w.Description, w.URL(), w.Message, src, []parser.Range{{Start: start, End: end}})
	}
	return res
}

// contextModule is the module's go.mod and go.sum from the build context, for the checks
// that read them: only those two files are transferred.
type contextModule struct {
	ctx     context.Context
	ref     client.Reference
	dir     string
	present map[string]bool
}

func readContextModule(ctx context.Context, c client.Client, bc *dockerui.Client, s *spec.Spec) (*contextModule, error) {
	files := []string{"go.mod", "go.sum"}
	var patterns []string
	for _, f := range files {
		patterns = append(patterns, path.Join(s.Dir, f))
	}
	st, err := bc.MainContext(ctx, llb.IncludePatterns(patterns), llb.WithCustomName("[check] load go.mod and go.sum"))
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	ref, err := solveState(ctx, c, *st, nil)
	if err != nil {
		return nil, fmt.Errorf("read go.mod and go.sum: %w", err)
	}
	m := &contextModule{ctx: ctx, ref: ref, dir: s.Dir, present: map[string]bool{}}
	// A stat of a missing file is an error like any other over the gateway: list instead.
	// The include patterns leave no directory at all when neither file exists, so a failed
	// listing means there is nothing for the rules to read.
	entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: s.Dir})
	if err != nil {
		return m, nil
	}
	for _, e := range entries {
		if slices.Contains(files, e.Path) {
			m.present[e.Path] = true
		}
	}
	return m, nil
}

func (m *contextModule) ReadFile(name string) ([]byte, error) {
	if !m.present[name] {
		return nil, &fs.PathError{Op: "read", Path: path.Join(m.dir, name), Err: fs.ErrNotExist}
	}
	return m.ref.ReadFile(m.ctx, client.ReadRequest{Filename: path.Join(m.dir, name)})
}
