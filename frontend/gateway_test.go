package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// fakeClient is an in-memory BuildKit gateway (client.Client) for unit tests of Build, in the
// spirit of the fakes BuildKit's own frontend tests use. It models just what the frontend
// and dockerui ask of a daemon:
//
//   - BuildOpts: the frontend attributes (filename, target, platform, build-arg:*, requestid,
//     no-cache, attest:sbom, context:NAME, ...), every LLB and gateway capability, and one
//     linux/amd64 worker, so the build platform never depends on the host.
//   - Solve: records each request; a definition whose result is a local source (dockerui
//     reading the Goimagefile or .dockerignore, the lint check reading go.mod and go.sum)
//     gives a reference that serves that local's files, narrowed to its follow paths and
//     include patterns; any other definition gives a reference with no files, which keeps
//     the definition for the test to inspect.
//   - ResolveImageConfig and ResolveSourceMetadata: canned configurations of
//     fakeImages, for the platform asked; any other reference is an error.
//
// Everything else fails or does nothing: a build that needs more must say so.
type fakeClient struct {
	opts   map[string]string
	locals map[string]fstest.MapFS // local sources by name: "context", "dockerfile"
	// fail, when set, is the error of solving a definition, as a failing step gives.
	fail func(*pb.Definition) error

	mu       sync.Mutex
	solves   []client.SolveRequest
	resolved []string // "ref platform", each image configuration asked for
}

// workerPlatform is the fake daemon's only worker platform: the build platform.
var workerPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// newFakeClient is a gateway whose build context, and the directory the Goimagefile is read
// from, are the files of dir, as for `docker buildx build -f dir/Goimagefile dir`.
func newFakeClient(t testing.TB, dir string, opts map[string]string) *fakeClient {
	t.Helper()
	return newFakeClientFiles(dirFiles(t, dir), opts)
}

// dirFiles are the files under dir.
func dirFiles(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path.Join(dir, name))
		files[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// newFakeClientFiles is a gateway whose build context is files.
func newFakeClientFiles(files fstest.MapFS, opts map[string]string) *fakeClient {
	return &fakeClient{opts: opts, locals: map[string]fstest.MapFS{"context": files, "dockerfile": files}}
}

func (f *fakeClient) BuildOpts() client.BuildOpts {
	return client.BuildOpts{
		Opts:      maps.Clone(f.opts), // dockerui writes to its copy
		SessionID: "fake-session",
		Workers:   []client.WorkerInfo{{ID: "fake", Platforms: []ocispecs.Platform{workerPlatform}}},
		Product:   "goimage-fake",
		LLBCaps:   pb.Caps.CapSet(pb.Caps.All()),
		Caps:      gatewaypb.Caps.CapSet(gatewaypb.Caps.All()),
	}
}

func (f *fakeClient) Solve(_ context.Context, req client.SolveRequest) (*client.Result, error) {
	if req.Definition == nil {
		return nil, errors.New("fake gateway: a solve without a definition")
	}
	f.mu.Lock()
	f.solves = append(f.solves, req)
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(req.Definition); err != nil {
			return nil, err
		}
	}
	ref := &fakeRef{def: req.Definition}
	if src, err := resultSource(req.Definition); err != nil {
		return nil, err
	} else if name, ok := localName(src); ok {
		files, ok := f.locals[name]
		if !ok {
			return nil, fmt.Errorf("fake gateway: no local source %q", name)
		}
		ref.files = selectFiles(files, src.Attrs)
	}
	res := client.NewResult()
	res.SetRef(ref)
	return res, nil
}

// resultSource is the source op a definition's result is, or nil when it is any other op.
func resultSource(def *pb.Definition) (*pb.SourceOp, error) {
	ops, err := decodeOps(def)
	if err != nil || len(def.Def) == 0 {
		return nil, err
	}
	terminal := ops[digest.FromBytes(def.Def[len(def.Def)-1])]
	if len(terminal.Inputs) != 1 {
		return nil, nil
	}
	return ops[digest.Digest(terminal.Inputs[0].Digest)].GetSource(), nil
}

// decodeOps are the ops of a definition by digest.
func decodeOps(def *pb.Definition) (map[digest.Digest]*pb.Op, error) {
	ops := map[digest.Digest]*pb.Op{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, err
		}
		ops[digest.FromBytes(dt)] = &op
	}
	return ops, nil
}

func localName(src *pb.SourceOp) (string, bool) {
	if src == nil {
		return "", false
	}
	return strings.CutPrefix(src.Identifier, "local://")
}

// selectFiles are the files a local source transfers: those its follow paths and include
// patterns name (path.Match patterns, or a directory and what it holds); all without either.
func selectFiles(files fstest.MapFS, attrs map[string]string) fstest.MapFS {
	var patterns []string
	for _, key := range []string{pb.AttrFollowPaths, pb.AttrIncludePatterns} {
		var p []string
		if v := attrs[key]; v != "" && json.Unmarshal([]byte(v), &p) == nil {
			patterns = append(patterns, p...)
		}
	}
	if len(patterns) == 0 {
		return files
	}
	out := fstest.MapFS{}
	for name, file := range files {
		if slices.ContainsFunc(patterns, func(p string) bool {
			ok, _ := path.Match(path.Clean(p), name)
			return ok || strings.HasPrefix(name, path.Clean(p)+"/")
		}) {
			out[name] = file
		}
	}
	return out
}

func (f *fakeClient) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := workerPlatform
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	f.mu.Lock()
	f.resolved = append(f.resolved, ref+" "+platforms.Format(p))
	f.mu.Unlock()
	cfg, ok := fakeImages[ref]
	if !ok {
		return "", "", nil, fmt.Errorf("fake gateway: %s: not found", ref)
	}
	img := dockerspec.DockerOCIImage{Config: cfg}
	img.Platform = platforms.Normalize(p) // as a multi-platform index gives it
	img.RootFS.Type = "layers"
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(dt), dt, nil
}

func (f *fakeClient) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp, opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	ref, ok := strings.CutPrefix(op.Identifier, "docker-image://")
	if !ok {
		return nil, fmt.Errorf("fake gateway: cannot resolve %s", op.Identifier)
	}
	_, dgst, dt, err := f.ResolveImageConfig(ctx, ref, opt)
	if err != nil {
		return nil, err
	}
	return &sourceresolver.MetaResponse{Op: op, Image: &sourceresolver.ResolveImageResponse{Digest: dgst, Config: dt}}, nil
}

// fakeImages are the image configurations the fake registry holds, by normalized reference.
var fakeImages = map[string]dockerspec.DockerOCIImageConfig{
	"docker.io/library/golang:1.26": {ImageConfig: ocispecs.ImageConfig{
		Env:        []string{"PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOLANG_VERSION=1.26.0", "GOTOOLCHAIN=local", "GOPATH=/go"},
		Cmd:        []string{"bash"},
		WorkingDir: "/go",
	}},
	"gcr.io/distroless/static-debian12:nonroot": {ImageConfig: ocispecs.ImageConfig{
		User:       "65532",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		WorkingDir: "/home/nonroot",
	}},
	"example.com/base:1": {ImageConfig: ocispecs.ImageConfig{
		Env:    []string{"PATH=/bin", "BASE=example"},
		Labels: map[string]string{"from": "example.com/base"},
	}},
}

// Inputs are none: the build context is a local source, as with buildx and buildctl.
func (f *fakeClient) Inputs(context.Context) (map[string]llb.State, error) { return nil, nil }

func (f *fakeClient) NewContainer(context.Context, client.NewContainerRequest) (client.Container, error) {
	return nil, errors.New("fake gateway: no containers")
}

func (f *fakeClient) Warn(context.Context, digest.Digest, string, client.WarnOpts) error { return nil }

// solved are the requests Solve received, in order.
func (f *fakeClient) solved() []client.SolveRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.solves)
}

// resolvedImages are the image configurations asked for, as "ref platform", each once, sorted.
func (f *fakeClient) resolvedImages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Compact(slices.Sorted(slices.Values(f.resolved)))
}

// fakeRef is a solved result: the files of a local source, or none (files nil) for the
// graph of a build, whose definition tests read.
type fakeRef struct {
	def   *pb.Definition
	files fstest.MapFS
}

func (r *fakeRef) ToState() (llb.State, error) {
	return llb.State{}, errors.New("fake gateway: ToState")
}

func (r *fakeRef) Evaluate(context.Context) error { return nil }

func (r *fakeRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	dt, err := fs.ReadFile(r.files, path.Clean(req.Filename))
	if err != nil {
		return nil, err
	}
	if rg := req.Range; rg != nil {
		dt = dt[min(rg.Offset, len(dt)):]
		dt = dt[:min(rg.Length, len(dt))]
	}
	return dt, nil
}

func (r *fakeRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	fi, err := fs.Stat(r.files, path.Clean(req.Path))
	if err != nil {
		return nil, err
	}
	return &fstypes.Stat{Path: fi.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()}, nil
}

func (r *fakeRef) ReadDir(_ context.Context, req client.ReadDirRequest) ([]*fstypes.Stat, error) {
	entries, err := fs.ReadDir(r.files, path.Clean(req.Path))
	if err != nil {
		return nil, err
	}
	var out []*fstypes.Stat
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, &fstypes.Stat{Path: e.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()})
	}
	return out, nil
}
