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
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
)

// listTargets answers `--call targets`: one target per binary, the first the default.
func listTargets(s *spec.Spec, sm *llb.SourceMap) *targets.List {
	l := &targets.List{Sources: [][]byte{sm.Data}}
	for i, b := range s.Binaries {
		l.Targets = append(l.Targets, targets.Target{
			Name:        b.Name,
			Default:     i == 0,
			Description: fmt.Sprintf("go build %s", b.Main),
			Base:        s.Base,
			Location:    location(s, fmt.Sprintf("binaries[%d]", i)),
		})
	}
	pkgs := s.Test.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	l.Targets = append(l.Targets, targets.Target{
		Name:        spec.TestTarget,
		Description: "go test " + strings.Join(pkgs, " "),
		Location:    location(s, "test"),
	})
	return l
}

// outlineOf answers `--call outline`: the build args the Goimagefile reads, each once. First
// those the fields that expand ${NAME} read (ldflags and gcflags; see llb's compile.go),
// binary by binary, ldflags before gcflags, each at its first use; then SOURCE_DATE_EPOCH.
func outlineOf(s *spec.Spec, sm *llb.SourceMap) *outline.Outline {
	o := &outline.Outline{Sources: [][]byte{sm.Data}}
	var seen []string
	add := func(name, description, field string) {
		if slices.Contains(seen, name) {
			return
		}
		seen = append(seen, name)
		o.Args = append(o.Args, outline.Arg{Name: name, Description: description, Location: location(s, field)})
	}
	for i, b := range s.Binaries {
		for _, list := range []struct {
			field  string
			values []string
		}{{"ldflags", b.Ldflags}, {"gcflags", b.Gcflags}} {
			for j, f := range list.values {
				for _, name := range spec.ArgRefs(f) {
					add(name, fmt.Sprintf("expanded in the %s of %s", list.field, b.Name), fmt.Sprintf("binaries[%d].%s[%d]", i, list.field, j))
				}
			}
		}
	}
	add("SOURCE_DATE_EPOCH", "the time of every file and of the image (default: 1970-01-01)", "")
	if s.Private.Netrc != "" {
		o.Secrets = append(o.Secrets, outline.Secret{Name: s.Private.Netrc, Location: location(s, "private.netrc")})
	}
	if s.Private.SSH {
		o.SSH = append(o.SSH, outline.SSH{Name: "default", Location: location(s, "private.ssh")})
	}
	return o
}

func location(s *spec.Spec, field string) *pb.Location {
	r := s.Range(field)
	if r.Start.Line == 0 {
		return nil
	}
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{goimagellb.Range(r)}}
}

// lintResults answers `--call check`: the check package's warnings at their Goimagefile lines.
func lintResults(s *spec.Spec, sm *llb.SourceMap, module check.Files) *lint.LintResults {
	res := &lint.LintResults{}
	src := res.AddSource(sm)
	for _, w := range check.Run(s, module) {
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
	ref, err := solveState(ctx, c, *st)
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
