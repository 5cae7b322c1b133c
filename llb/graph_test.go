package llb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// customName is the metadata description key BuildKit shows as a vertex's name.
const customName = "llb.customname"

// Platforms used throughout the tests: the build runs on amd64 unless a test says otherwise.
var (
	amd64   = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	amd64v3 = ocispecs.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}
	arm64   = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	armv7   = ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
)

// minimal is the smallest valid Goimagefile.
const minimal = `version: 1
main: ./cmd/app
`

// parse parses a Goimagefile or fails the test.
func parse(t testing.TB, goimagefile string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse([]byte(goimagefile))
	if err != nil {
		t.Fatalf("spec.Parse: %v\n%s", err, goimagefile)
	}
	return s
}

// resolve resolves a spec with build args or fails the test.
func resolve(t testing.TB, s *spec.Spec, args map[string]string) *plan.Plan {
	t.Helper()
	p, err := plan.Resolve(s, plan.Inputs{BuildArgs: args})
	if err != nil {
		t.Fatalf("plan.Resolve: %v", err)
	}
	return p
}

// convert parses a Goimagefile, resolves it without build args, converts it and loads the
// marshalled graph.
func convert(t testing.TB, goimagefile string, opt Options) (*Result, *graph) {
	t.Helper()
	return convertWith(t, goimagefile, nil, opt)
}

// convertWith is convert with build args.
func convertWith(t testing.TB, goimagefile string, args map[string]string, opt Options) (*Result, *graph) {
	t.Helper()
	res, err := Convert(context.Background(), resolve(t, parse(t, goimagefile), args), opt)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return res, load(t, res.State)
}

// crossOpts builds on linux/amd64 for target.
func crossOpts(target ocispecs.Platform) Options {
	return Options{BuildPlatform: amd64, TargetPlatform: &target}
}

// graph is a marshalled definition indexed by digest and by custom name.
type graph struct {
	t      testing.TB
	def    *llb.Definition
	ops    map[digest.Digest]*pb.Op
	order  []digest.Digest // as in def.Def
	byName map[string][]digest.Digest
	root   digest.Digest // the terminal op, whose only input is the result
}

// node is one op of a graph.
type node struct {
	g    *graph
	dgst digest.Digest
	op   *pb.Op
}

func load(t testing.TB, st llb.State) *graph {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return loadDef(t, def)
}

func loadDef(t testing.TB, def *llb.Definition) *graph {
	t.Helper()
	g := &graph{t: t, def: def, ops: map[digest.Digest]*pb.Op{}, byName: map[string][]digest.Digest{}}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatalf("decoding op: %v", err)
		}
		d := digest.FromBytes(dt)
		g.ops[d] = &op
		g.order = append(g.order, d)
		if name, ok := def.Metadata[d].Description[customName]; ok {
			g.byName[name] = append(g.byName[name], d)
		}
	}
	if len(g.order) == 0 {
		t.Fatalf("empty definition")
	}
	g.root = g.order[len(g.order)-1]
	if r := g.ops[g.root]; r.Op != nil || len(r.Inputs) != 1 {
		t.Fatalf("last op is not the terminal op: %v", r)
	}
	return g
}

func (g *graph) node(d digest.Digest) *node {
	g.t.Helper()
	op, ok := g.ops[d]
	if !ok {
		g.t.Fatalf("no op with digest %s", d)
	}
	return &node{g: g, dgst: d, op: op}
}

// named is the one op with a custom name.
func (g *graph) named(name string) *node {
	g.t.Helper()
	ds := g.byName[name]
	if len(ds) != 1 {
		g.t.Fatalf("%d ops named %q, want 1; names: %q", len(ds), name, g.names())
	}
	return g.node(ds[0])
}

// names are the custom names in the graph, sorted.
func (g *graph) names() []string {
	var names []string
	for n := range g.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// namedPrefix are the ops whose custom name starts with prefix, in name order.
func (g *graph) namedPrefix(prefix string) []*node {
	var nodes []*node
	for _, n := range g.names() {
		if strings.HasPrefix(n, prefix) {
			for _, d := range g.byName[n] {
				nodes = append(nodes, g.node(d))
			}
		}
	}
	return nodes
}

// result is the op the definition returns.
func (g *graph) result() *node {
	g.t.Helper()
	return g.node(digest.Digest(g.ops[g.root].Inputs[0].Digest))
}

// all are the ops, in definition order, without the terminal op.
func (g *graph) all() []*node {
	var nodes []*node
	for _, d := range g.order {
		if d != g.root {
			nodes = append(nodes, g.node(d))
		}
	}
	return nodes
}

// execs are the exec ops.
func (g *graph) execs() []*node {
	var nodes []*node
	for _, n := range g.all() {
		if n.op.GetExec() != nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// sources are the identifiers of every source op, sorted.
func (g *graph) sources(prefix string) []string {
	var ids []string
	for _, n := range g.all() {
		if s := n.op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, prefix) {
			ids = append(ids, s.Identifier)
		}
	}
	sort.Strings(ids)
	return ids
}

func (n *node) name() string { return n.g.def.Metadata[n.dgst].Description[customName] }

func (n *node) String() string {
	if name := n.name(); name != "" {
		return fmt.Sprintf("%q", name)
	}
	if s := n.op.GetSource(); s != nil {
		return s.Identifier
	}
	return string(n.dgst)
}

func (n *node) exec() *pb.ExecOp {
	n.g.t.Helper()
	e := n.op.GetExec()
	if e == nil {
		n.g.t.Fatalf("op %s is not an exec op", n)
	}
	return e
}

func (n *node) file() *pb.FileOp {
	n.g.t.Helper()
	f := n.op.GetFile()
	if f == nil {
		n.g.t.Fatalf("op %s is not a file op", n)
	}
	return f
}

func (n *node) source() *pb.SourceOp {
	n.g.t.Helper()
	s := n.op.GetSource()
	if s == nil {
		n.g.t.Fatalf("op %s is not a source op", n)
	}
	return s
}

// input follows input i by digest; it also returns the output index it reads.
func (n *node) input(i int64) (*node, int64) {
	n.g.t.Helper()
	if i < 0 || i >= int64(len(n.op.Inputs)) {
		n.g.t.Fatalf("op %s has no input %d", n, i)
	}
	in := n.op.Inputs[i]
	return n.g.node(digest.Digest(in.Digest)), in.Index
}

// inputs are the ops n reads, in input order.
func (n *node) inputs() []*node {
	var nodes []*node
	for i := range n.op.Inputs {
		in, _ := n.input(int64(i))
		nodes = append(nodes, in)
	}
	return nodes
}

// mount is the exec op's mount at dest.
func (n *node) mount(dest string) *pb.Mount {
	n.g.t.Helper()
	var found *pb.Mount
	for _, m := range n.exec().Mounts {
		if m.Dest == dest {
			if found != nil {
				n.g.t.Fatalf("op %s mounts %s twice", n, dest)
			}
			found = m
		}
	}
	if found == nil {
		n.g.t.Fatalf("op %s has no mount at %s", n, dest)
	}
	return found
}

// mountDests are the exec op's mount targets, in order.
func (n *node) mountDests() []string {
	var dests []string
	for _, m := range n.exec().Mounts {
		dests = append(dests, m.Dest)
	}
	return dests
}

// mountSource is the op and output index mounted at dest; nil for scratch.
func (n *node) mountSource(dest string) (*node, int64) {
	n.g.t.Helper()
	m := n.mount(dest)
	if m.Input == int64(pb.Empty) {
		return nil, -1
	}
	return n.input(m.Input)
}

// env is the exec op's environment as a map; a key set twice fails the test.
func (n *node) env() map[string]string {
	n.g.t.Helper()
	env := map[string]string{}
	for _, kv := range n.exec().Meta.Env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; dup {
			n.g.t.Errorf("op %s sets %s twice: %q", n, k, n.exec().Meta.Env)
		}
		env[k] = v
	}
	return env
}

// locations are the Goimagefile ranges tied to the op, as "file:line:col" strings.
func (n *node) locations() []string {
	src := n.g.def.Source
	if src == nil {
		return nil
	}
	locs := src.Locations[string(n.dgst)]
	if locs == nil {
		return nil
	}
	var out []string
	for _, l := range locs.Locations {
		file := "?"
		if int(l.SourceIndex) < len(src.Infos) {
			file = src.Infos[l.SourceIndex].Filename
		}
		for _, r := range l.Ranges {
			out = append(out, fmt.Sprintf("%s:%d:%d", file, r.Start.Line, r.Start.Character))
		}
	}
	return out
}

// localInfo is a local source op's name and include patterns.
func localInfo(t testing.TB, s *pb.SourceOp) (name string, include []string) {
	t.Helper()
	name, ok := strings.CutPrefix(s.Identifier, "local://")
	if !ok {
		t.Fatalf("source %s is not local", s.Identifier)
	}
	if p, ok := s.Attrs[pb.AttrIncludePatterns]; ok {
		if err := json.Unmarshal([]byte(p), &include); err != nil {
			t.Fatalf("include patterns %q: %v", p, err)
		}
	}
	return name, include
}

// platformOf renders an op's platform.
func platformOf(op *pb.Op) string {
	if op.Platform == nil {
		return "<none>"
	}
	return platforms.Format(op.Platform.Spec())
}

// flagValue is the argument after flag in args.
func flagValue(t testing.TB, args []string, flag string) string {
	t.Helper()
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("no %s in %q", flag, args)
	}
	return args[i+1]
}

// fakeImages is an ImageSource with fixed configurations per reference; it records what
// was asked for.
type fakeImages struct {
	configs map[string]*dockerspec.DockerOCIImage
	err     map[string]error
	mu      sync.Mutex // the converter resolves the base image alongside other work
	calls   []string   // "ref platform"
}

func (f *fakeImages) Image(_ context.Context, ref string, p ocispecs.Platform) (llb.State, *dockerspec.DockerOCIImage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, ref+" "+platforms.Format(p))
	f.mu.Unlock()
	if err := f.err[ref]; err != nil {
		return llb.State{}, nil, err
	}
	return llb.Image(ref, llb.Platform(p)), f.configs[ref], nil
}

func ptr[T any](v T) *T { return &v }

func date(s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm
}

func digestOf(s string) digest.Digest { return digest.Digest(s) }

func mustPlatform(t testing.TB, s string) ocispecs.Platform {
	t.Helper()
	p, err := platforms.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return platforms.Normalize(p)
}

func specPos(line, col int) spec.Pos { return spec.Pos{Line: line, Column: col} }
