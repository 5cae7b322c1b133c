package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	"github.com/moby/buildkit/worker/label"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is what the client knows of an image: its configuration, and the digest it pins the
// reference to (none: the frontend leaves the reference unpinned).
type Image struct {
	Config dockerspec.DockerOCIImageConfig
	Digest digest.Digest
	// Files are its root filesystem, which a solve of the image serves; nil serves none.
	Files fs.FS
}

// Client is the gateway. Its zero value has no files, images or options.
type Client struct {
	// Opts are the frontend options (filename, target, platform, build-arg:NAME, ...), as
	// buildx and buildctl send them.
	Opts map[string]string
	// Locals are the local sources by name: "context" and "dockerfile".
	Locals map[string]fs.FS
	// Images are the configurations ResolveImageConfig gives, by normalized reference
	// ("docker.io/library/golang:1.26"); any other reference is an error.
	Images map[string]Image
	// Platform is the worker's, the build platform; default linux/amd64.
	Platform ocispecs.Platform
	// Fail, when set, is the error of solving a definition, as a failing step gives.
	Fail func(*pb.Definition) error
	// LLBCaps are the worker's LLB capabilities, as an older BuildKit reports fewer; nil
	// means every one this BuildKit knows.
	LLBCaps *apicaps.CapSet
	// WorkerLabels are the worker's labels, as Docker Engine's or buildkitd's report them;
	// nil means those of buildkitd's OCI worker on overlayfs.
	WorkerLabels map[string]string

	mu       sync.Mutex
	solves   []client.SolveRequest
	resolved []string
	warnings []string
	read     map[int]bool // the solves whose results the frontend read a file of
}

func (c *Client) platform() ocispecs.Platform {
	if c.Platform.OS == "" {
		return ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	}
	return c.Platform
}

func (c *Client) BuildOpts() client.BuildOpts {
	labels := c.WorkerLabels
	if labels == nil {
		labels = map[string]string{label.Executor: "oci", label.Snapshotter: "overlayfs"}
	}
	llbCaps := pb.Caps.CapSet(pb.Caps.All())
	if c.LLBCaps != nil {
		llbCaps = *c.LLBCaps
	}
	return client.BuildOpts{
		Opts:      maps.Clone(c.Opts), // dockerui writes to its copy
		SessionID: "offline",
		Workers:   []client.WorkerInfo{{ID: "offline", Labels: labels, Platforms: []ocispecs.Platform{c.platform()}}},
		Product:   "goimage-offline",
		LLBCaps:   llbCaps,
		Caps:      gatewaypb.Caps.CapSet(gatewaypb.Caps.All()),
	}
}

// Solve records the request. A definition whose result is a local source (dockerui reading
// the Goimagefile, the lint check reading go.mod) gives a reference that serves that local's
// files, narrowed to its follow paths and include patterns; any other gives one with none.
func (c *Client) Solve(_ context.Context, req client.SolveRequest) (*client.Result, error) {
	if req.Definition == nil {
		return nil, errors.New("offline gateway: a solve without a definition")
	}
	c.mu.Lock()
	i := len(c.solves)
	c.solves = append(c.solves, req)
	c.mu.Unlock()
	if c.Fail != nil {
		if err := c.Fail(req.Definition); err != nil {
			return nil, err
		}
	}
	ref := &Ref{Definition: req.Definition, onRead: func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.read == nil {
			c.read = map[int]bool{}
		}
		c.read[i] = true
	}}
	src, err := ResultSource(req.Definition)
	if err != nil {
		return nil, err
	}
	if name, ok := localName(src); ok {
		files, ok := c.Locals[name]
		if !ok {
			return nil, fmt.Errorf("offline gateway: no local source %q", name)
		}
		ref.files, ref.patterns = files, patterns(src.Attrs)
	}
	if name, ok := imageName(src); ok {
		ref.files = c.Images[name].Files
	}
	ref.computed = src == nil
	res := client.NewResult()
	res.SetRef(ref)
	return res, nil
}

// Solved are the requests Solve received, in order.
func (c *Client) Solved() []client.SolveRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.solves)
}

// Unread are the requests Solve received whose results the frontend never read a file of:
// the graphs of the build, where the others are reads ahead of it (local files, the dependency
// list).
func (c *Client) Unread() []client.SolveRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []client.SolveRequest
	for i, req := range c.solves {
		if !c.read[i] {
			out = append(out, req)
		}
	}
	return out
}

// Read are the requests Solve received whose results the frontend read a file of, in order.
func (c *Client) Read() []client.SolveRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []client.SolveRequest
	for i, req := range c.solves {
		if c.read[i] {
			out = append(out, req)
		}
	}
	return out
}

// Transferred are the files of the local source name that solves transferred, each once,
// sorted.
func (c *Client) Transferred(name string) ([]string, error) {
	var out []string
	for _, req := range c.Solved() {
		src, err := ResultSource(req.Definition)
		if err != nil {
			return nil, err
		}
		if n, ok := localName(src); !ok || n != name || c.Locals[name] == nil {
			continue
		}
		pats := patterns(src.Attrs)
		err = fs.WalkDir(c.Locals[name], ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && selected(pats, p) {
				out = append(out, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}

// Resolved are the image configurations asked for, as "ref platform", each once, sorted.
func (c *Client) Resolved() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Compact(slices.Sorted(slices.Values(c.resolved)))
}

// Lookups are the image configurations asked for, as "ref platform", as often as asked,
// sorted.
func (c *Client) Lookups() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.resolved))
}

// ResultSource is the source op a definition's result is (a local source: a transfer of
// files), or nil when it is any other op.
func ResultSource(def *pb.Definition) (*pb.SourceOp, error) {
	if len(def.Def) == 0 {
		return nil, nil
	}
	ops := map[digest.Digest]*pb.Op{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, fmt.Errorf("offline gateway: %w", err)
		}
		ops[digest.FromBytes(dt)] = &op
	}
	terminal := ops[digest.FromBytes(def.Def[len(def.Def)-1])]
	if len(terminal.Inputs) != 1 {
		return nil, nil
	}
	return ops[digest.Digest(terminal.Inputs[0].Digest)].GetSource(), nil
}

func localName(src *pb.SourceOp) (string, bool) {
	if src == nil {
		return "", false
	}
	return strings.CutPrefix(src.Identifier, "local://")
}

// imageName is the reference of an image source without its digest, as Images holds it.
func imageName(src *pb.SourceOp) (string, bool) {
	if src == nil {
		return "", false
	}
	ref, ok := strings.CutPrefix(src.Identifier, "docker-image://")
	name, _, _ := strings.Cut(ref, "@")
	return name, ok
}

// patterns are the follow paths and include patterns of a local source.
func patterns(attrs map[string]string) []string {
	var out []string
	for _, key := range []string{pb.AttrFollowPaths, pb.AttrIncludePatterns} {
		var p []string
		if v := attrs[key]; v != "" && json.Unmarshal([]byte(v), &p) == nil {
			out = append(out, p...)
		}
	}
	return out
}

func (c *Client) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := c.platform()
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	c.mu.Lock()
	c.resolved = append(c.resolved, ref+" "+platforms.Format(p))
	c.mu.Unlock()
	known, ok := c.Images[ref]
	if !ok {
		return "", "", nil, fmt.Errorf("offline gateway: no configuration of %s (give one)", ref)
	}
	img := dockerspec.DockerOCIImage{Config: known.Config}
	img.Platform = platforms.Normalize(p) // as a multi-platform index gives it
	img.RootFS.Type = "layers"
	dt, err := json.Marshal(img)
	if err != nil {
		return "", "", nil, err
	}
	return ref, known.Digest, dt, nil
}

func (c *Client) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp, opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	ref, ok := strings.CutPrefix(op.Identifier, "docker-image://")
	if !ok {
		return nil, fmt.Errorf("offline gateway: cannot resolve %s", op.Identifier)
	}
	_, dgst, dt, err := c.ResolveImageConfig(ctx, ref, opt)
	if err != nil {
		return nil, err
	}
	return &sourceresolver.MetaResponse{Op: op, Image: &sourceresolver.ResolveImageResponse{Digest: dgst, Config: dt}}, nil
}

// Inputs are none: the build context is a local source, as with buildx and buildctl.
func (c *Client) Inputs(context.Context) (map[string]llb.State, error) { return nil, nil }

func (c *Client) NewContainer(context.Context, client.NewContainerRequest) (client.Container, error) {
	return nil, errors.New("offline gateway: no containers")
}

// Warn records a warning, as BuildKit shows it under the build.
func (c *Client) Warn(_ context.Context, _ digest.Digest, msg string, _ client.WarnOpts) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, msg)
	return nil
}

// Warnings are the warnings the frontend gave, in order.
func (c *Client) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.warnings)
}

// selected reports whether a local source with these patterns transfers the file name: all
// files without patterns, else those a pattern matches (path.Match) or a directory holds.
func selected(patterns []string, name string) bool {
	return len(patterns) == 0 || slices.ContainsFunc(patterns, func(p string) bool {
		ok, _ := path.Match(path.Clean(p), name)
		return ok || strings.HasPrefix(name, path.Clean(p)+"/")
	})
}
