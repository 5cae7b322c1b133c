package llb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// graphReader is a StateReader that answers every read with the JSON of a dependency graph,
// and records the states it was asked to read.
type graphReader struct {
	graph *depGraph
	err   error

	mu   sync.Mutex // the converter reads the groups' graphs side by side
	read []llb.State
}

func (r *graphReader) ReadFile(_ context.Context, st llb.State, name string) ([]byte, error) {
	r.mu.Lock()
	r.read = append(r.read, st)
	r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	if name != graphFile {
		return nil, errors.New("read " + name)
	}
	return json.Marshal(r.graph)
}

// textGraph is the graph of a project whose main package imports pflag and the HCL-like
// chain hcl -> cty -> text, with text's go version and replacements as given.
func textGraph(text string) *depGraph {
	return testGraph([]string{"github.com/spf13/pflag@v1.0.6", "example.org/hcl@v0.2.0", "example.org/cty@v1.1.0", "golang.org/x/text@" + text}, map[string]string{
		"example.com/m/cmd/app":          ": github.com/spf13/pflag example.org/hcl",
		"github.com/spf13/pflag":         "github.com/spf13/pflag:",
		"example.org/hcl":                "example.org/hcl: example.org/cty",
		"example.org/cty":                "example.org/cty: golang.org/x/text/unicode/norm",
		"golang.org/x/text/unicode/norm": "golang.org/x/text: golang.org/x/text/transform",
		"golang.org/x/text/transform":    "golang.org/x/text:",
	})
}

func moduleCompileOpts(r StateReader) Options {
	opt := moduleLayersOpts(goSumFor([]string{"github.com/spf13/pflag@v1.0.6"}, nil))
	opt.Reader = r
	return opt
}

// textGraphOpts are the options of a build of textGraph(text) whose go.sum names its
// modules, each downloaded by a step of its own.
func textGraphOpts(r StateReader, text string) Options {
	opt := moduleLayersOpts(goSumFor([]string{"github.com/spf13/pflag@v1.0.6", "example.org/hcl@v0.2.0", "example.org/cty@v1.1.0", "golang.org/x/text@" + text}, nil))
	opt.Reader = r
	return opt
}

// TestModuleCompiles checks the compile step of each module: what it runs, what it reads,
// and how go build reads their layers.
func TestModuleCompiles(t *testing.T) {
	r := &graphReader{graph: textGraph("v0.41.0")}
	_, g := convert(t, minimal, textGraphOpts(r, "v0.41.0"))
	if len(r.read) != 1 {
		t.Fatalf("%d reads, want the list's graph once", len(r.read))
	}
	if n := g.namedPrefix("compile the dependencies of "); len(n) != 0 {
		t.Errorf("one step compiles every dependency besides the module steps: %v", n)
	}
	const target = " for ./cmd/app linux/amd64"
	names := []string{"compile example.org/cty", "compile example.org/hcl", "compile github.com/spf13/pflag", "compile golang.org/x/text"}
	var got []string
	for _, n := range g.namedPrefix("compile ") {
		if !strings.HasPrefix(n.name(), "compile the standard library") {
			got = append(got, strings.TrimSuffix(n.name(), target))
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(got, names); diff != "" {
		t.Fatalf("module compile steps (-got +want):\n%s", diff)
	}

	list := g.named("list the dependencies of ./cmd/app linux/amd64")
	if got := flagValue(t, list.exec().Meta.Args, "-graph"); got != graphDir+"/graph.json" {
		t.Errorf("list -graph %q", got)
	}
	cty := g.named("compile example.org/cty" + target)
	wantArgs := []string{helperBin, "warm", "--", "go", "build", "-mod=vendor", "-trimpath", "example.org/cty"}
	if diff := cmp.Diff(cty.exec().Meta.Args, wantArgs); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	if cty.exec().Network != 2 { // pb.NetMode_NONE
		t.Errorf("network %v, want none", cty.exec().Network)
	}
	wantProg := helperBin + " cacheprog -dir " + goCache + " -ro " + stdCacheDir + " -ro " + moduleDepsDir + " -out " + depCacheDir + " -stats"
	if got := cty.env()["GOCACHEPROG"]; got != wantProg {
		t.Errorf("GOCACHEPROG=%q, want %q", got, wantProg)
	}
	for _, dest := range []string{depsDir, stdCacheDir, moduleDepsDir, goModCache} {
		if m := cty.mount(dest); m == nil || !m.Readonly {
			t.Errorf("%s is not mounted read-only: %v", dest, m)
		}
	}
	if from, _ := cty.mountSource(goModCache); from != nil {
		t.Errorf("the module cache is mounted: %s", from)
	}
	if from, _ := cty.mountSource(stdCacheDir); from == nil || from.name() != "compile the standard library of ./cmd/app linux/amd64" {
		t.Errorf("%s is %v, not the standard library layer", stdCacheDir, from)
	}
	// cty reads text's layer, which it imports; hcl reads both, merged.
	if from, _ := cty.mountSource(moduleDepsDir); from == nil || from.name() != "compile golang.org/x/text"+target {
		t.Errorf("cty's imports are %v, not text's layer", from)
	}
	hcl := g.named("compile example.org/hcl" + target)
	if from, _ := hcl.mountSource(moduleDepsDir); from == nil || from.op.GetMerge() == nil || len(from.inputs()) != 2 {
		t.Errorf("hcl's imports are %v, not the merge of two layers", from)
	}
	if slices.Contains(g.named("compile golang.org/x/text"+target).mountDests(), moduleDepsDir) {
		t.Errorf("text, which imports no module, reads %s", moduleDepsDir)
	}

	// The vendor tree of cty: its go.mod and vendor/modules.txt, and the trees of
	// the two modules mounted from their download layers, by selector.
	tree, _ := cty.mountSource(depsDir)
	files := map[string]string{}
	var dirs []string
	for _, a := range tree.file().Actions {
		switch {
		case a.GetMkfile() != nil:
			files[a.GetMkfile().Path] = string(a.GetMkfile().Data)
		case a.GetMkdir() != nil:
			dirs = append(dirs, a.GetMkdir().Path)
		default:
			t.Errorf("the vendor tree does %v", a)
		}
	}
	wantFiles := map[string]string{
		"/go.mod": "// Code generated by goimage. DO NOT EDIT.\n\nmodule goimagedeps\n\ngo 1.17\n\nrequire example.org/cty v1.1.0\nrequire golang.org/x/text v0.41.0\n",
		"/vendor/modules.txt": "# example.org/cty v1.1.0\n## explicit; go 1.21\nexample.org/cty\n" +
			"# golang.org/x/text v0.41.0\n## explicit; go 1.21\ngolang.org/x/text/transform\ngolang.org/x/text/unicode/norm\n",
	}
	if diff := cmp.Diff(files, wantFiles); diff != "" {
		t.Errorf("vendor tree files (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(dirs, []string{"/vendor", "/vendor/example.org/cty", "/vendor/golang.org/x/text"}); diff != "" {
		t.Errorf("vendor tree directories (-got +want):\n%s", diff)
	}
	for dest, mod := range map[string]string{
		depsDir + "/vendor/example.org/cty":   "example.org/cty@v1.1.0",
		depsDir + "/vendor/golang.org/x/text": "golang.org/x/text@v0.41.0",
	} {
		m := cty.mount(dest)
		from, _ := cty.mountSource(dest)
		if from == nil || from.name() != "download "+mod || m.Selector != "/"+mod || !m.Readonly {
			t.Errorf("%s: %v (selector %q, read-only %v), want the layer of \"download %s\" at /%s, read-only", dest, from, m.Selector, m.Readonly, mod, mod)
		}
	}

	// go build reads the four layers, merged.
	build := g.named("go build ./cmd/app linux/amd64")
	merged, _ := build.mountSource(depCacheDir)
	if merged == nil || merged.op.GetMerge() == nil || len(merged.inputs()) != 4 {
		t.Fatalf("go build reads %v at %s, not the merge of the four module layers", merged, depCacheDir)
	}
	// and mounts the list's graph, so that an exported cache carries it.
	graph, out := build.mountSource(graphDir)
	if graph == nil || graph.dgst != list.dgst || list.mount(graphDir).Output != out {
		t.Errorf("go build mounts %v (output %d) at %s, not the list's graph", graph, out, graphDir)
	}
}

// TestVendorTreeNested: modules nested in one another (the AWS SDK's) are copied into the
// vendor tree from their download layers, the outer first, where the others are mounted: a
// mount inside the read-only mount of the outer module could not create its target.
func TestVendorTreeNested(t *testing.T) {
	r := &graphReader{graph: testGraph([]string{"example.org/sdk@v1.0.0", "example.org/sdk/sub@v1.1.0", "example.org/other@v1.0.0"}, map[string]string{
		"example.com/m/cmd/app": ": example.org/sdk example.org/other",
		"example.org/sdk":       "example.org/sdk: example.org/sdk/sub",
		"example.org/sdk/sub":   "example.org/sdk/sub:",
		"example.org/other":     "example.org/other:",
	})}
	opt := moduleLayersOpts(goSumFor([]string{"example.org/sdk@v1.0.0", "example.org/sdk/sub@v1.1.0", "example.org/other@v1.0.0"}, nil))
	opt.Reader = r
	_, g := convert(t, minimal, opt)
	sdk := g.named("compile example.org/sdk for ./cmd/app linux/amd64")
	tree, _ := sdk.mountSource(depsDir)
	var copies []string
	for _, a := range tree.file().Actions {
		if c := a.GetCopy(); c != nil {
			from, _ := tree.input(a.SecondaryInput)
			copies = append(copies, from.name()+": "+c.Src+" -> "+c.Dest)
		}
	}
	want := []string{
		"download example.org/sdk@v1.0.0: /example.org/sdk@v1.0.0 -> /vendor/example.org/sdk",
		"download example.org/sdk/sub@v1.1.0: /example.org/sdk/sub@v1.1.0 -> /vendor/example.org/sdk/sub",
	}
	if diff := cmp.Diff(copies, want); diff != "" {
		t.Errorf("copies into the vendor tree of sdk (-got +want):\n%s", diff)
	}
	for _, dest := range sdk.mountDests() {
		if strings.HasPrefix(dest, depsDir+"/vendor/") {
			t.Errorf("sdk's step mounts %s", dest)
		}
	}
	other := g.named("compile example.org/other for ./cmd/app linux/amd64")
	if m := other.mount(depsDir + "/vendor/example.org/other"); m.Selector != "/example.org/other@v1.0.0" {
		t.Errorf("other's tree is mounted with selector %q", m.Selector)
	}
}

// TestModuleCompilesBump: a bump of golang.org/x/text changes the vendor trees, and so the
// steps, of text and of the modules that import it, cty and hcl, and no other: pflag's step
// keeps its ops, and its tree comes from the same download layer. (BuildKit keys the module
// trees' read-only mounts on the content their selectors pick as well.)
func TestModuleCompilesBump(t *testing.T) {
	keys := func(text string) map[string]string {
		_, g := convert(t, minimal, textGraphOpts(&graphReader{graph: textGraph(text)}, text))
		out := map[string]string{}
		for _, n := range g.namedPrefix("compile ") {
			if strings.HasPrefix(n.name(), "compile the standard library") {
				continue
			}
			tree, _ := n.mountSource(depsDir)
			// What keys the step, but the layers of the list: the vendor tree's files,
			// the exec without its mounts, each mount's target and selector, the layers
			// its module trees come from, and the layers of its imports.
			actions, _ := json.Marshal(tree.file().Actions)
			exec := *n.exec()
			exec.Mounts = nil
			meta, _ := json.Marshal(&exec)
			var mounts []string
			for _, m := range n.exec().Mounts {
				mounts = append(mounts, m.Dest+" "+m.Selector)
				if strings.HasPrefix(m.Dest, depsDir+"/vendor/") {
					from, _ := n.mountSource(m.Dest)
					mounts = append(mounts, string(from.dgst))
				}
			}
			var imports string
			if slices.Contains(n.mountDests(), moduleDepsDir) {
				from, _ := n.mountSource(moduleDepsDir)
				imports = string(from.dgst)
			}
			out[strings.Fields(n.name())[1]] = string(actions) + string(meta) + strings.Join(mounts, ",") + imports
		}
		return out
	}
	before, after := keys("v0.41.0"), keys("v0.42.0")
	var changed []string
	for m := range before {
		if before[m] != after[m] {
			changed = append(changed, m)
		}
	}
	slices.Sort(changed)
	if diff := cmp.Diff(changed, []string{"example.org/cty", "example.org/hcl", "golang.org/x/text"}); diff != "" {
		t.Errorf("steps the bump changed (-got +want):\n%s", diff)
	}
}

// TestModuleCompilesFallback: where the converter cannot read the list (goimage llb on the
// offline gateway), or the module is vendored, one step compiles every dependency; a list
// that cannot be read for another reason fails the conversion.
func TestModuleCompilesFallback(t *testing.T) {
	unsupported := &graphReader{err: errors.ErrUnsupported}
	_, g := convert(t, minimal, moduleCompileOpts(unsupported))
	if len(g.namedPrefix("compile the dependencies of ")) != 1 {
		t.Errorf("a reader that cannot run: steps %v, want one dependency compile", g.names())
	}
	vendored := &graphReader{graph: textGraph("v0.41.0")}
	_, g = convert(t, minimal+"vendor: true\n", moduleCompileOpts(vendored))
	if len(vendored.read) != 0 || len(g.namedPrefix("compile the dependencies of ")) != 1 {
		t.Errorf("a vendored module: %d reads, steps %v, want one dependency compile", len(vendored.read), g.names())
	}
	failing := &graphReader{err: errors.New("list step failed")}
	_, err := Convert(context.Background(), resolve(t, parse(t, minimal), nil), moduleCompileOpts(failing))
	if err == nil || !strings.Contains(err.Error(), "list step failed") {
		t.Errorf("Convert = %v, want the reader's error", err)
	}
}

// goCommand runs the host's go command in dir with env added, failing the test if it fails,
// and returns what it printed.
func goCommand(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestVendorTreeActionIDs runs the real go command: a module compiled in a vendor tree, as a
// module compile step compiles it, is not compiled again by the main module's build in
// module mode with the same build cache, so go build reads the module layers instead of
// compiling. Without the module's go version in vendor/modules.txt the ids differ, so the
// check can fail.
func TestVendorTreeActionIDs(t *testing.T) {
	testenv.SkipIfShort(t, "runs the go command")
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy", "example.com", "dep", "@v")
	src := filepath.Join(tmp, "dep")
	testenv.WriteFiles(t, src, map[string]string{
		"go.mod":        "module example.com/dep\n\ngo 1.21\n",
		"dep.go":        "package dep\n\nimport \"example.com/dep/inner\"\n\nfunc Dep() string { return inner.Name }\n",
		"inner/name.go": "package inner\n\nconst Name = \"dep\"\n",
	})
	testenv.WriteFiles(t, proxy, map[string]string{"list": "v1.0.0\n", "v1.0.0.info": `{"Version":"v1.0.0"}`, "v1.0.0.mod": "module example.com/dep\n\ngo 1.21\n"})
	zf, err := os.Create(filepath.Join(proxy, "v1.0.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zf, module.Version{Path: "example.com/dep", Version: "v1.0.0"}, src); err != nil {
		t.Fatal(err)
	}
	zf.Close()
	main := filepath.Join(tmp, "main")
	testenv.WriteFiles(t, main, map[string]string{
		"go.mod":  "module example.com/m\n\ngo 1.24\n\nrequire example.com/dep v1.0.0\n",
		"main.go": "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Dep()) }\n",
	})
	modCache := filepath.Join(tmp, "modcache")
	env := []string{"GOPROXY=file://" + filepath.Join(tmp, "proxy"), "GOSUMDB=off", "GOMODCACHE=" + modCache, "GOFLAGS=-modcacherw", "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local"}
	goCommand(t, main, env, "mod", "tidy")

	for _, tc := range []struct {
		desc      string
		goVersion string
		want      bool // the main module's build compiles nothing of the module
	}{
		{"the module's go version", "1.21", true},
		{"without it", "", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			v := newVendorTree([]graphModule{{Path: "example.com/dep", Version: "v1.0.0", GoVersion: tc.goVersion}},
				map[string][]string{"example.com/dep": {"example.com/dep", "example.com/dep/inner"}},
				[]string{"example.com/dep"})
			tree := filepath.Join(t.TempDir(), "tree")
			testenv.WriteFiles(t, tree, map[string]string{"go.mod": v.goMod(), "vendor/modules.txt": v.modulesTxt()})
			if err := os.CopyFS(filepath.Join(tree, "vendor", "example.com", "dep"), os.DirFS(filepath.Join(modCache, "example.com", "dep@v1.0.0"))); err != nil {
				t.Fatal(err)
			}
			cache := append(env, "GOCACHE="+t.TempDir())
			goCommand(t, tree, cache, append([]string{"build", "-mod=vendor", "-trimpath"}, v.roots...)...)
			out := goCommand(t, main, cache, "build", "-v", "-trimpath", "-o", os.DevNull, ".")
			if compiled := strings.Contains(out, "example.com/dep"); compiled == tc.want {
				t.Errorf("the main module's build compiled the module = %v, want %v; go build -v:\n%s", compiled, !tc.want, out)
			}
		})
	}
}

// BenchmarkModuleCompiles converts a project of n modules, each importing two of the modules
// before it, and reports the ops of the graph: how the frontend's own work and the graph grow
// with the number of modules (go test ./llb -run '^$' -bench ModuleCompiles).
func BenchmarkModuleCompiles(b *testing.B) {
	for _, n := range []int{10, 50, 150, 300} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var mods, top []string
			pkgs := map[string]string{}
			for i := range n {
				p := fmt.Sprintf("m%03d.com/p", i)
				mods = append(mods, p+"@v1.0.0")
				imports := ""
				if i >= 2 {
					imports = fmt.Sprintf("m%03d.com/p m%03d.com/p", i/2, (i*7)%i)
				}
				pkgs[p] = p + ":" + imports
				top = append(top, p)
			}
			pkgs["example.com/m/cmd/app"] = ":" + strings.Join(top, " ")
			opt := moduleCompileOpts(&graphReader{graph: testGraph(mods, pkgs)})
			p := resolve(b, parse(b, minimal), nil)
			var ops int
			for b.Loop() {
				res, err := Convert(context.Background(), p, opt)
				if err != nil {
					b.Fatal(err)
				}
				def, err := res.State.Marshal(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				ops = len(def.Def)
			}
			b.ReportMetric(float64(ops), "ops")
		})
	}
}
