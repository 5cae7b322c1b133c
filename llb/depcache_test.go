package llb

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	capspb "github.com/moby/buildkit/util/apicaps/pb"
)

const (
	helperBuildName = "[internal] build goimage-helper"
	listName        = "list the dependencies of ./cmd/app linux/arm64"
	depCompileName  = "compile the dependencies of ./cmd/app linux/arm64"
	modulesName     = "select the modules of ./cmd/app linux/arm64"
	stdCompileName  = "compile the standard library of ./cmd/app linux/arm64"
	compileName     = "go build ./cmd/app linux/arm64"
)

// TestHelperBuild checks that goimage-helper is built from the embedded source alone, static,
// on the build platform, with the network off.
func TestHelperBuild(t *testing.T) {
	_, g := convert(t, minimal, crossOpts(arm64))
	n := g.named(helperBuildName)
	if got := platformOf(n.op); got != "linux/amd64" {
		t.Errorf("helper built on %s, want the build platform linux/amd64", got)
	}
	if n.exec().Network != pb.NetMode_NONE {
		t.Errorf("network %v, want none", n.exec().Network)
	}
	env := n.env()
	if diff := cmp.Diff(pick(env, "CGO_ENABLED", "GOPROXY", "GOOS", "GOARCH"), map[string]string{"CGO_ENABLED": "0", "GOPROXY": "off"}); diff != "" {
		t.Errorf("env (-got +want):\n%s", diff)
	}
	want := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", helperBin, "."}
	if diff := cmp.Diff(n.exec().Meta.Args, want); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	src, _ := n.mountSource(helperSrc)
	if src == nil || src.file() == nil {
		t.Fatalf("%s is not the embedded source: %v", helperSrc, src)
	}
	var files []string
	for _, a := range src.file().Actions {
		files = append(files, a.GetMkfile().GetPath())
	}
	slices.Sort(files)
	if diff := cmp.Diff(files, []string{"/cacheprog.go", "/credentials.go", "/deps.go", "/diskcache.go", "/download.go", "/fetch.go", "/go.mod", "/graph.go", "/main.go", "/modules.go", "/modverify.go", "/sbom.go", "/toolchain.go", "/warm.go", "/workspace.go"}); diff != "" {
		t.Errorf("helper source files (-got +want):\n%s", diff)
	}
	// Its build cache is its own, a layer: never entries that other builds wrote to a
	// shared mount.
	if m := n.mount(goCache); m.MountType != pb.MountType_BIND || m.Input != int64(pb.Empty) || m.Output < 0 {
		t.Errorf("%s = %v, want an output of its own on scratch", goCache, m)
	}
}

// TestHelperSourceEmbedded checks that the embed list names every file of the helper, so the
// graph builds the same program that the helper's tests test.
func TestHelperSourceEmbedded(t *testing.T) {
	onDisk, err := filepath.Glob("helper/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range onDisk {
		if !strings.HasSuffix(f, "_test.go") {
			want = append(want, filepath.ToSlash(f))
		}
	}
	entries, err := helperSource.ReadDir("helper")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, "helper/"+e.Name())
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("embedded helper files (-got +want):\n%s", diff)
	}
}

// TestDependencyCache checks the four steps that make the dependency cache layers and how
// the go build step reads them.
func TestDependencyCache(t *testing.T) {
	_, g := convert(t, minimal, crossOpts(arm64))
	dl := g.named(downloadName)
	helper := g.named(helperBuildName)
	list := g.named(listName)
	deps := g.named(depCompileName)
	std := g.named(stdCompileName)
	build := g.named(compileName)

	// list: the whole source, the module cache, the helper; the network off; the target's
	// GOOS/GOARCH, since build constraints decide the imports.
	if diff := cmp.Diff(list.exec().Meta.Args, inWorkspace([]string{helperBin, "deps", "-o", depsDir, "-std", stdDir, "-tags", "", "./cmd/app"})); diff != "" {
		t.Errorf("list args (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(list.mountDests(), []string{"/", "/go/cache", "/go/pkg/mod", helperDir, depsDir, stdDir, "/src"}); diff != "" {
		t.Errorf("list mounts (-got +want):\n%s", diff)
	}
	for _, step := range []*node{list, std, deps, build} {
		if step.exec().Network != pb.NetMode_NONE {
			t.Errorf("%s: network %v, want none", step, step.exec().Network)
		}
		if diff := cmp.Diff(pick(step.env(), "GOOS", "GOARCH", "GOPROXY"), map[string]string{"GOOS": "linux", "GOARCH": "arm64", "GOPROXY": "off"}); diff != "" {
			t.Errorf("%s env (-got +want):\n%s", step, diff)
		}
		if from, _ := step.mountSource(helperDir); from == nil || from.dgst != helper.dgst {
			t.Errorf("%s: %s comes from %v, want the helper build", step, helperDir, from)
		}
		if step == std || step == deps {
			continue
		}
		if from, _ := step.mountSource(goModCache); from == nil || from.dgst != dl.dgst {
			t.Errorf("%s: %s comes from %v, want the download step", step, goModCache, from)
		}
	}

	// required modules: the list's go.mod and the module cache, read-only, into a layer that
	// the dependency compile reads as its module cache, read-only: BuildKit keys it on its
	// content, which a module added for tests or tools leaves alone.
	mods := g.named(modulesName)
	if diff := cmp.Diff(mods.exec().Meta.Args, []string{helperBin, "modules", "-o", modulesDir, depsDir + "/go.mod"}); diff != "" {
		t.Errorf("select args (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(mods.mountDests(), []string{"/", "/go/pkg/mod", helperDir, depsDir, modulesDir}); diff != "" {
		t.Errorf("select mounts (-got +want):\n%s", diff)
	}
	if mods.exec().Network != pb.NetMode_NONE {
		t.Errorf("%s: network %v, want none", mods, mods.exec().Network)
	}
	for dest, want := range map[string]*node{goModCache: dl, depsDir: list, helperDir: helper} {
		if from, _ := mods.mountSource(dest); from == nil || from.dgst != want.dgst || !mods.mount(dest).Readonly {
			t.Errorf("%s: %s comes from %v, want a read-only mount of %s", mods, dest, from, want)
		}
	}
	from, idx := deps.mountSource(goModCache)
	if from == nil || from.dgst != mods.dgst || idx != mods.mount(modulesDir).Output || !deps.mount(goModCache).Readonly {
		t.Errorf("%s: %s comes from %v output %d, want a read-only mount of the selected modules", deps, goModCache, from, idx)
	}

	// standard library: keyed on the list's standard library module alone, with an empty
	// module cache, so that a go.mod change leaves it cached.
	if from, _ := std.mountSource(goModCache); from != nil {
		t.Errorf("%s: %s comes from %v, want an empty module cache", std, goModCache, from)
	}
	m := std.mount(stdDir)
	from, idx = std.mountSource(stdDir)
	if from == nil || from.dgst != list.dgst || idx != list.mount(stdDir).Output || !m.Readonly {
		t.Errorf("%s: %v from %v output %d, want a read-only mount of the list's output", stdDir, m, from, idx)
	}
	wantStd := []string{helperBin, "warm", "-copy", stdDir, "--", "go", "build", "-mod=mod", "-trimpath", "./goimagestd"}
	if diff := cmp.Diff(std.exec().Meta.Args, wantStd); diff != "" {
		t.Errorf("standard library compile args (-got +want):\n%s", diff)
	}
	if got, want := std.env()["GOCACHEPROG"], helperBin+" cacheprog -dir /go/cache -ro "+helperCacheDir+" -used -out "+stdCacheDir+" -stats"; got != want {
		t.Errorf("standard library GOCACHEPROG = %q, want %q", got, want)
	}
	// It reads what goimage-helper's build compiled, read-only, from that step's own output.
	if from, idx := std.mountSource(helperCacheDir); from == nil || from.dgst != helper.dgst || idx != helper.mount(goCache).Output || !std.mount(helperCacheDir).Readonly {
		t.Errorf("%s comes from %v output %d, want the helper build's build cache, read-only", helperCacheDir, from, idx)
	}

	// compile: keyed on the list's output alone, read-only so that BuildKit keys it on the
	// content; no source mount, so a source edit that keeps the imports is a cache hit.
	if diff := cmp.Diff(deps.mountDests(), []string{"/", "/go/cache", "/go/pkg/mod", helperDir, depCacheDir, depsDir, stdCacheDir}); diff != "" {
		t.Errorf("dependency compile mounts (-got +want):\n%s", diff)
	}
	m = deps.mount(depsDir)
	from, idx = deps.mountSource(depsDir)
	if from == nil || from.dgst != list.dgst || idx != list.mount(depsDir).Output || !m.Readonly || m.Selector != "" {
		t.Errorf("%s: %v from %v output %d, want a read-only mount of the list's output", depsDir, m, from, idx)
	}
	if got := deps.exec().Meta.Cwd; got != depsDir {
		t.Errorf("dependency compile runs in %s, want %s", got, depsDir)
	}
	wantArgs := []string{helperBin, "warm", "-copy", depsDir, "--", "go", "build", "-mod=mod", "-trimpath", "./goimagedeps"}
	if diff := cmp.Diff(deps.exec().Meta.Args, wantArgs); diff != "" {
		t.Errorf("dependency compile args (-got +want):\n%s", diff)
	}
	wantEnv := map[string]string{"GOCACHEPROG": helperBin + " cacheprog -dir /go/cache -ro " + stdCacheDir + " -out " + depCacheDir + " -stats", "GOSUMDB": "off", "GOWORK": "off"}
	if diff := cmp.Diff(pick(deps.env(), "GOCACHEPROG", "GOSUMDB", "GOWORK"), wantEnv); diff != "" {
		t.Errorf("dependency compile env (-got +want):\n%s", diff)
	}
	if out := deps.mount(depCacheDir); out.Readonly || out.Input != int64(pb.Empty) || out.Output < 0 {
		t.Errorf("%s = %v, want a writable output on scratch", depCacheDir, out)
	}

	if from, _ := deps.mountSource(stdCacheDir); from == nil || from.dgst != std.dgst || !deps.mount(stdCacheDir).Readonly {
		t.Errorf("dependency compile %s comes from %v, want the standard library layer, read-only", stdCacheDir, from)
	}

	// go build reads both layers read-only, under the cache mount.
	if got, want := build.env()["GOCACHEPROG"], helperBin+" cacheprog -dir /go/cache -ro "+depCacheDir+" -ro "+stdCacheDir+" -stats"; got != want {
		t.Errorf("go build GOCACHEPROG = %q, want %q", got, want)
	}
	m = build.mount(depCacheDir)
	from, idx = build.mountSource(depCacheDir)
	if from == nil || from.dgst != deps.dgst || idx != deps.mount(depCacheDir).Output || !m.Readonly {
		t.Errorf("go build %s: %v from %v output %d, want the dependency cache, read-only", depCacheDir, m, from, idx)
	}
}

// TestDependencyGroups checks that binaries share a dependency cache when their dependencies
// compile alike, and only then.
func TestDependencyGroups(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		wantLists   [][]string // the list steps' package arguments
	}{
		{
			desc:        "two binaries, the same tags: one cache",
			goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/a\n  - main: ./cmd/b\n",
			wantLists:   [][]string{{"-tags", "", "./cmd/a", "./cmd/b"}},
		},
		{
			desc:        "different tags: a cache each",
			goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/a\n    tags: [netgo]\n  - main: ./cmd/b\n  - main: ./cmd/c\n    tags: [netgo]\n",
			wantLists:   [][]string{{"-tags", "netgo", "./cmd/a", "./cmd/c"}, {"-tags", "", "./cmd/b"}}, // by step name
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convert(t, tc.goimagefile, crossOpts(arm64))
			var got [][]string
			for _, n := range g.namedPrefix("list the dependencies of ") {
				got = append(got, n.exec().Meta.Args[9:])
			}
			if diff := cmp.Diff(got, tc.wantLists); diff != "" {
				t.Errorf("list steps (-got +want):\n%s", diff)
			}
			if n, want := len(g.namedPrefix("compile the dependencies of ")), len(tc.wantLists); n != want {
				t.Errorf("%d dependency compile steps, want %d", n, want)
			}
			if n := len(g.byName[helperBuildName]); n != 1 {
				t.Errorf("the helper is built %d times, want once", n)
			}
		})
	}
}

// TestStandardLibraryGroups checks that a later group's standard-library step reads the first
// group's layer, read-only and through the cache program, and the first reads no other.
func TestStandardLibraryGroups(t *testing.T) {
	_, g := convert(t, "version: 1\nbinaries:\n  - main: ./cmd/a\n    tags: [netgo]\n  - main: ./cmd/b\n", crossOpts(arm64))
	first := g.named("compile the standard library of ./cmd/a linux/arm64")
	second := g.named("compile the standard library of ./cmd/b linux/arm64")
	if slices.Contains(first.mountDests(), firstStdCacheDir) {
		t.Errorf("the first group's standard library mounts %s", firstStdCacheDir)
	}
	if src, _ := second.mountSource(firstStdCacheDir); src == nil || src.dgst != first.dgst {
		t.Errorf("the second group's standard library reads %v at %s, want the first's layer", src, firstStdCacheDir)
	}
	if m := second.mount(firstStdCacheDir); !m.Readonly {
		t.Error("the first group's layer is mounted writable")
	}
	want := cacheProg("-ro", helperCacheDir, "-ro", firstStdCacheDir, "-used", "-out", stdCacheDir, "-stats")
	if got := second.env()["GOCACHEPROG"]; got != want {
		t.Errorf("GOCACHEPROG %q, want %q", got, want)
	}
}

// TestDependencyCacheTags checks that the dependency compile uses the binaries' tags: the
// cache entries it makes are keyed on them.
func TestDependencyCacheTags(t *testing.T) {
	_, g := convert(t, "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [netgo, osusergo]\n", crossOpts(arm64))
	want := []string{helperBin, "warm", "-copy", depsDir, "--", "go", "build", "-mod=mod", "-trimpath", "-tags", "netgo,osusergo", "./goimagedeps"}
	if diff := cmp.Diff(g.named(depCompileName).exec().Meta.Args, want); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
}

// TestBuildCacheAlwaysVerified checks every step that mounts the shared build cache, in
// graphs with a generate step, tools, the test target and private modules: each runs the go
// command through the helper's cache program, which verifies what it reads there.
func TestBuildCacheAlwaysVerified(t *testing.T) {
	const file = minimal + "generate:\n  - run: [go, generate, ./...]\n    inputs: [color/]\n    install: [golang.org/x/tools/cmd/stringer@v0.30.0]\n" +
		"private:\n  netrc: corp\n"
	_, g := convert(t, file, crossOpts(arm64))
	test, err := ConvertTest(context.Background(), resolve(t, parse(t, file), nil), crossOpts(arm64))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, gr := range []*graph{g, load(t, test)} {
		for _, n := range gr.execs() {
			var shared bool
			for _, m := range n.exec().Mounts {
				shared = shared || (m.Dest == goCache && m.MountType == pb.MountType_CACHE)
			}
			if !shared {
				continue
			}
			checked++
			if prog := n.env()["GOCACHEPROG"]; !strings.HasPrefix(prog, helperBin+" cacheprog -dir "+goCache) {
				t.Errorf("%s reads the shared build cache with GOCACHEPROG=%q", n, prog)
			}
			if from, _ := n.mountSource(helperDir); from == nil || from.name() != helperBuildName {
				t.Errorf("%s: %s is not goimage-helper", n, helperDir)
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d steps mount the shared build cache: the check above saw too little", checked)
	}
}

// TestHelperDirScript checks that hack/helper-dir, which the frontend image's Dockerfile runs
// to place goimage-helper, names the directory HelperDir names for the embedded source.
func TestHelperDirScript(t *testing.T) {
	out, err := exec.Command("sh", "../hack/helper-dir", "helper").Output()
	if err != nil {
		t.Fatalf("hack/helper-dir: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), HelperDir(); got != want {
		t.Errorf("hack/helper-dir = %q, HelperDir() = %q", got, want)
	}
}

// TestPrebuiltHelper converts with a helper built ahead: no step builds it, every step that
// runs it mounts the given state's HelperDir read-only (keyed on that directory alone), and
// the standard library compile reads no helper build cache.
func TestPrebuiltHelper(t *testing.T) {
	opt := crossOpts(arm64)
	const frontend = "docker.io/goimage/frontend@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	opt.Helper = &PrebuiltHelper{State: llb.Image(frontend), Dir: HelperDir()}
	_, g := convert(t, minimal, opt)
	if slices.Contains(g.names(), helperBuildName) {
		t.Errorf("%q is in the graph of a prebuilt helper", helperBuildName)
	}
	var mounts int
	for _, n := range g.execs() {
		m := n.mount(helperDir)
		if m == nil {
			continue
		}
		mounts++
		from, _ := n.mountSource(helperDir)
		if from == nil || from.source().GetIdentifier() != "docker-image://"+frontend || m.Selector != HelperDir() || !m.Readonly {
			t.Errorf("%s: %s from %v selector %q, want the frontend image's %s, read-only", n, helperDir, from, m.Selector, HelperDir())
		}
	}
	if mounts < 4 {
		t.Errorf("%d steps mount the helper, want the download, list, select, compiles and go build", mounts)
	}
	std := g.named(stdCompileName)
	if from, _ := std.mountSource(helperCacheDir); from != nil {
		t.Errorf("%s: %s comes from %v, want an empty directory", std, helperCacheDir, from)
	}
}

// TestModuleCacheMountKeyedOnStep checks that every go command reading the module cache keys
// that mount on the step that made it, not on its content (which BuildKit hashes file by file
// when a step's key misses), and that a daemon without the capability gets the default and no
// op that needs it.
func TestModuleCacheMountKeyedOnStep(t *testing.T) {
	withoutContentCache := pb.Caps.CapSet(slices.DeleteFunc(pb.Caps.All(), func(c *capspb.APICap) bool {
		return c.ID == string(pb.CapExecMountContentCache)
	}))
	tests := []struct {
		desc string
		caps *apicaps.CapSet
		want pb.MountContentCache
	}{
		{"a daemon with the capability", nil, pb.MountContentCache_OFF},
		{"a daemon without it (BuildKit v0.12)", &withoutContentCache, pb.MountContentCache_DEFAULT},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opt := moduleLayersOpts(goSumFor([]string{"example.com/a@v1.0.0", "example.com/b@v1.2.0"}, nil))
			opt.LLBCaps = tt.caps
			target := arm64
			opt.TargetPlatform = &target
			res, g := convert(t, minimal, opt)
			var readers []string
			for _, n := range g.execs() {
				if !slices.Contains(n.mountDests(), goModCache) {
					continue
				}
				m := n.mount(goModCache)
				if !m.Readonly || m.Input == int64(pb.Empty) {
					continue
				}
				readers = append(readers, n.name())
				if m.ContentCache != tt.want {
					t.Errorf("%s: module cache mount content cache %v, want %v", n.name(), m.ContentCache, tt.want)
				}
			}
			slices.Sort(readers)
			if diff := cmp.Diff(readers, []string{depCompileName, compileName, listName, modulesName}); diff != "" {
				t.Errorf("steps reading the module cache (-got +want):\n%s", diff)
			}
			if tt.caps == nil {
				return
			}
			def, err := res.State.Marshal(t.Context(), llb.WithCaps(*tt.caps))
			if err != nil {
				t.Fatalf("marshal with the daemon's caps: %v", err)
			}
			for _, m := range def.Metadata {
				if m.Caps[pb.CapExecMountContentCache] {
					t.Errorf("an op needs %s: %v", pb.CapExecMountContentCache, m.Description)
				}
			}
		})
	}
}

// readsTogether is a StateReader whose reads each wait until n of them are in flight.
type readsTogether struct {
	*graphReader
	n int

	mu       sync.Mutex
	inFlight int
	all      chan struct{}
}

func (r *readsTogether) ReadFile(ctx context.Context, st llb.State, name string) ([]byte, error) {
	r.mu.Lock()
	if r.inFlight++; r.inFlight == r.n {
		close(r.all)
	}
	r.mu.Unlock()
	select {
	case <-r.all:
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("read %s: the other groups' reads did not start while it waited", name)
	}
	return r.graphReader.ReadFile(ctx, st, name)
}

// TestGraphReadsSideBySide checks that the dependency graphs of two groups are read side by
// side: each read waits for the other, and the conversion fails if they come one after the
// other.
func TestGraphReadsSideBySide(t *testing.T) {
	r := &readsTogether{graphReader: &graphReader{graph: textGraph("v0.41.0")}, n: 2, all: make(chan struct{})}
	_, g := convert(t, "version: 1\nbinaries:\n  - main: ./cmd/a\n    tags: [netgo]\n  - main: ./cmd/b\n", textGraphOpts(r, "v0.41.0"))
	if n := len(r.read); n != 2 {
		t.Errorf("%d graph reads, want one for each group", n)
	}
	for _, main := range []string{"./cmd/a", "./cmd/b"} {
		if n := len(g.namedPrefix("compile github.com/spf13/pflag for " + main + " ")); n != 1 {
			t.Errorf("%d compile steps of pflag for %s, want one from its group's graph", n, main)
		}
	}
}
