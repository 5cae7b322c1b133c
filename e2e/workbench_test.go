package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	"github.com/tonistiigi/fsutil"
)

// The workbench's registry mirror, as the host reaches it and as the daemon names it.
const (
	registryAddr   = "127.0.0.1:5000"
	mirror         = "localhost:5000"
	frontendSource = mirror + "/goimage/frontend:1"
)

// daemon returns a client of the workbench's buildkitd, or skips the test when there is none
// (fails under CI=true, where the end-to-end tests must run).
func daemon(t *testing.T) *client.Client {
	t.Helper()
	testenv.SkipIfShort(t, "end-to-end test")
	host := os.Getenv("BUILDKIT_HOST")
	if host == "" {
		unavailable(t, `BUILDKIT_HOST is not set: run hack/dev up, then eval "$(hack/dev env)"`)
	}
	return connect(t, host)
}

// connect returns a client of the buildkitd at host, or skips the test when there is none
// (fails under CI=true).
func connect(t *testing.T, host string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.New(ctx, host)
	if err == nil {
		_, err = c.ListWorkers(ctx)
	}
	if err != nil {
		unavailable(t, "no buildkitd at "+host+": "+err.Error())
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func unavailable(t *testing.T, why string) {
	t.Helper()
	testenv.Unavailable(t, "end-to-end test: "+why)
}

// repoRoot is the checkout this test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// example copies examples/NAME to a temporary directory, so a test may edit it.
func example(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(repoRoot(t), "examples", name))); err != nil {
		t.Fatalf("copy example %s: %v", name, err)
	}
	return dst
}

var tagUnsafe = regexp.MustCompile(`[^a-z0-9_.-]+`)

// imageRef is a unique reference in the mirror for one test's image, as the daemon names it.
func imageRef(t *testing.T, name string) string {
	t.Helper()
	tag := tagUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	return mirror + "/goimage-e2e/" + name + ":" + tag
}

// pushOutput is the buildctl --output that pushes to the mirror.
func pushOutput(ref string) string {
	return "type=image,name=" + ref + ",push=true,registry.insecure=true"
}

// pushExport is the image export that pushes to the mirror, for the Go client.
func pushExport(ref string) client.ExportEntry {
	return client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{"name": ref, "push": "true", "registry.insecure": "true"}}
}

// command runs a CLI of the workbench (buildctl, docker) and returns what it printed.
func command(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	return commandEnv(t, nil, name, args...)
}

// commandEnv is command with the environment env; nil is the test's own.
func commandEnv(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustCommand is command that fails the test when the command does, printing its output.
func mustCommand(t *testing.T, name string, args ...string) string {
	t.Helper()
	return mustCommandEnv(t, nil, name, args...)
}

// mustCommandEnv is commandEnv that fails the test when the command does.
func mustCommandEnv(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := commandEnv(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// buildctlSyntax builds DIR/Goimagefile with buildctl through its `# syntax=` line (BuildKit's
// Dockerfile frontend forwards to ours) and pushes it as ref.
func buildctlSyntax(t *testing.T, dir, ref string, extra ...string) string {
	t.Helper()
	return buildctlSyntaxAt(t, os.Getenv("BUILDKIT_HOST"), dir, ref, extra...)
}

// buildctlSyntaxAt is buildctlSyntax on the buildkitd at host.
func buildctlSyntaxAt(t *testing.T, host, dir, ref string, extra ...string) string {
	t.Helper()
	args := append([]string{"--addr", host, "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir, "--opt", "filename=Goimagefile",
		"--output", pushOutput(ref)}, extra...)
	return mustCommand(t, "buildctl", args...)
}

// vertices records the last status of every step of a build, by name, and what the steps
// printed.
type vertices struct {
	mu       sync.Mutex
	byName   map[string]*client.Vertex
	imported map[digest.Digest]bool // steps whose result was pulled from an imported cache
	printed  map[digest.Digest]bool // steps that printed something: steps that ran
	logs     strings.Builder
	logsOf   map[digest.Digest]*strings.Builder // what each step printed
}

func newVertices() *vertices {
	return &vertices{
		byName:   map[string]*client.Vertex{},
		imported: map[digest.Digest]bool{},
		printed:  map[digest.Digest]bool{},
		logsOf:   map[digest.Digest]*strings.Builder{},
	}
}

func (v *vertices) collect(ch chan *client.SolveStatus) {
	for s := range ch {
		v.mu.Lock()
		for _, vx := range s.Vertexes {
			v.byName[vx.Name] = vx
		}
		for _, st := range s.Statuses {
			// A result loaded from an imported cache shows its layers being pulled.
			if strings.HasPrefix(st.ID, "extracting ") {
				v.imported[st.Vertex] = true
			}
		}
		for _, l := range s.Logs {
			v.logs.Write(l.Data)
			v.printed[l.Vertex] = true
			if v.logsOf[l.Vertex] == nil {
				v.logsOf[l.Vertex] = &strings.Builder{}
			}
			v.logsOf[l.Vertex].Write(l.Data)
		}
		v.mu.Unlock()
	}
}

// output is everything the build's steps printed.
func (v *vertices) output() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.logs.String()
}

// printedBy is what the step named name printed.
func (v *vertices) printedBy(t *testing.T, name string) string {
	t.Helper()
	vx := v.get(t, name)
	v.mu.Lock()
	defer v.mu.Unlock()
	if b := v.logsOf[vx.Digest]; b != nil {
		return b.String()
	}
	return ""
}

// get returns the step named name, failing the test when the build had none.
func (v *vertices) get(t *testing.T, name string) *client.Vertex {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	vx, ok := v.byName[name]
	if !ok {
		names := make([]string, 0, len(v.byName))
		for n := range v.byName {
			names = append(names, n)
		}
		t.Fatalf("the build has no step %q; it has %q", name, names)
	}
	return vx
}

// has reports whether the build had a step named name.
func (v *vertices) has(name string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.byName[name]
	return ok
}

// prefixed returns the names of the steps that start with prefix, sorted.
func (v *vertices) prefixed(prefix string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var names []string
	for n := range v.byName {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// ran reports whether a step that always prints when it runs (goimage-helper fetch) ran: a
// result taken from an imported cache whose layers another step pulled shows neither as
// cached nor as pulled.
func (v *vertices) ran(t *testing.T, name string) bool {
	t.Helper()
	return v.status(t, name, func(vx *client.Vertex) bool { return v.printed[vx.Digest] })
}

// pulled reports whether the layers of a step's result were pulled (extracted).
func (v *vertices) pulled(t *testing.T, name string) bool {
	t.Helper()
	return v.status(t, name, func(vx *client.Vertex) bool { return v.imported[vx.Digest] })
}

// reused reports whether the step did not run: it was a cache hit, local or imported.
func (v *vertices) reused(t *testing.T, name string) bool {
	t.Helper()
	return v.status(t, name, func(vx *client.Vertex) bool { return vx.Cached || v.imported[vx.Digest] })
}

// status is what f says of the step named name, read under the lock.
func (v *vertices) status(t *testing.T, name string, f func(*client.Vertex) bool) bool {
	t.Helper()
	vx := v.get(t, name)
	v.mu.Lock()
	defer v.mu.Unlock()
	return f(vx)
}

// solve builds DIR/Goimagefile through the Go client, the way buildctl does with the syntax
// line, and returns the steps it ran. attrs are extra frontend options.
func solve(t *testing.T, c *client.Client, dir string, attrs map[string]string, exports ...client.ExportEntry) (*client.SolveResponse, *vertices, error) {
	t.Helper()
	return solveOpt(t, c, dir, attrs, client.SolveOpt{Exports: exports})
}

// solveOpt is solve with more of the solve options (cache imports and exports).
func solveOpt(t *testing.T, c *client.Client, dir string, attrs map[string]string, opt client.SolveOpt) (*client.SolveResponse, *vertices, error) {
	t.Helper()
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	fa := map[string]string{"filename": "Goimagefile"}
	for k, v := range attrs {
		fa[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ch := make(chan *client.SolveStatus)
	vs := newVertices()
	done := make(chan struct{})
	go func() { vs.collect(ch); close(done) }()
	opt.Frontend = "dockerfile.v0"
	opt.FrontendAttrs = fa
	opt.LocalMounts = map[string]fsutil.FS{"context": fs, "dockerfile": fs}
	resp, err := c.Solve(ctx, nil, opt, ch)
	<-done
	return resp, vs, err
}

// appendEdit appends a new function to a Go file: an edit never seen before, so that it
// cannot be a cache hit of its own.
func appendEdit(t *testing.T, file string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "\nfunc edited%d() {}\n", time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
}
