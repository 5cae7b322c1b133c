package llb

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goimage/goimage/internal/testenv"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// textModules are the module versions textGraph builds, by text's version.
func textModules(text string) []string {
	return []string{"github.com/spf13/pflag@v1.0.6", "example.org/hcl@v0.2.0", "example.org/cty@v1.1.0", "golang.org/x/text@" + text}
}

// textGoMod is the go.mod of a project whose main package is textGraph's at text's version:
// at go 1.17 and later, it requires every module that provides a package to the build.
func textGoMod(text string) string {
	return "module example.com/m\n\ngo 1.24\n\ntoolchain go1.24.2\n\ngodebug panicnil=1\n\nrequire (\n\tgithub.com/spf13/pflag v1.0.6\n\texample.org/hcl v0.2.0\n)\n\n" +
		"require (\n\texample.org/cty v1.1.0 // indirect\n\tgolang.org/x/text " + text + " // indirect\n)\n"
}

// binaryModulesOpts are the options of a build of minimal whose main package is textGraph's,
// with goMod and a go.sum naming zips, and the list's graph.
func binaryModulesOpts(goMod string, zips []string, graph *depGraph) Options {
	opt := crossOpts(arm64)
	opt.ModuleFiles = map[string][]byte{"go.mod": []byte(goMod), "go.sum": goSumFor(zips, nil)["go.sum"]}
	opt.ImportHeaders = map[string][]byte{"cmd/app/main.go": ImportHeader([]byte("package main\n\nimport \"example.org/hcl\"\n\nfunc main() { hcl.X() }\n"))}
	opt.Reader = &graphReader{graph: graph}
	return opt
}

// buildInputs are what go build ./cmd/app reads of the module files and the module cache:
// the files written over its copy of the source, and each directory mounted in the module
// cache as "<layer name> <selector>".
func buildInputs(t *testing.T, g *graph) (files, modCache map[string]string) {
	t.Helper()
	build := g.named(compileName)
	src, _ := build.mountSource(srcDir)
	files = map[string]string{}
	if f := src.file(); f != nil {
		for _, a := range f.Actions {
			if mk := a.GetMkfile(); mk != nil {
				files[mk.Path] = string(mk.Data)
			}
		}
	}
	modCache = map[string]string{}
	for _, dest := range build.mountDests() {
		if rel, ok := strings.CutPrefix(dest, goModCache+"/"); ok {
			from, _ := build.mountSource(dest)
			modCache[rel] = from.name() + " " + build.mount(dest).Selector
		}
	}
	return files, modCache
}

// TestBinaryModules checks the module files and module cache of a binary's own: a go.mod
// with the project's module, go, toolchain and godebug lines and the modules the binary
// builds at the graph's versions, their go.sum lines alone, and their trees and download
// directories mounted from their download layers over the directories they need.
func TestBinaryModules(t *testing.T) {
	zips := append(textModules("v0.41.0"), "example.com/tool@v1.0.0")
	_, g := convert(t, minimal, binaryModulesOpts(textGoMod("v0.41.0"), zips, textGraph("v0.41.0")))
	files, modCache := buildInputs(t, g)
	wantGoMod := "module example.com/m\n\ngo 1.24\n\ntoolchain go1.24.2\n\ngodebug panicnil=1\n\nrequire (\n" +
		"\texample.org/cty v1.1.0\n\texample.org/hcl v0.2.0\n\tgithub.com/spf13/pflag v1.0.6\n\tgolang.org/x/text v0.41.0\n)\n"
	// goSumFor writes each version's zip line, then its go.mod line, as go.sum sorts them.
	wantGoSum := string(goSumFor([]string{"example.org/cty@v1.1.0", "example.org/hcl@v0.2.0", "github.com/spf13/pflag@v1.0.6", "golang.org/x/text@v0.41.0"}, nil)["go.sum"])
	if diff := cmp.Diff(files, map[string]string{"/go.mod": wantGoMod, "/go.sum": wantGoSum}); diff != "" {
		t.Errorf("files written over the source (-got +want):\n%s", diff)
	}
	want := map[string]string{}
	for _, m := range []string{"example.org/cty@v1.1.0", "example.org/hcl@v0.2.0", "github.com/spf13/pflag@v1.0.6", "golang.org/x/text@v0.41.0"} {
		p, _, _ := strings.Cut(m, "@")
		want[m] = "download " + m + " /" + m
		want["cache/download/"+p+"/@v"] = "download " + m + " /cache/download/" + p + "/@v"
	}
	if diff := cmp.Diff(modCache, want); diff != "" {
		t.Errorf("module cache mounts (-got +want):\n%s", diff)
	}
	skeleton, _ := g.named(compileName).mountSource(goModCache)
	var dirs []string
	for _, a := range skeleton.file().Actions {
		dirs = append(dirs, strings.TrimPrefix(a.GetMkdir().GetPath(), "/"))
	}
	for dir := range want {
		if !strings.Contains(strings.Join(dirs, "\n")+"\n", dir+"\n") {
			t.Errorf("the module cache's directories %q lack %s", dirs, dir)
		}
	}
}

// TestBinaryModulesReplace: a module the project replaces by another version keeps its
// replace line, and its tree comes from the replacement's layer.
func TestBinaryModulesReplace(t *testing.T) {
	graph := textGraph("v0.41.0")
	for i, m := range graph.Modules {
		if m.Path == "golang.org/x/text" {
			graph.Modules[i].Replace = &graphModule{Path: "golang.org/x/text", Version: "v0.40.0", GoVersion: "1.21"}
		}
	}
	goMod := textGoMod("v0.41.0") + "\nreplace golang.org/x/text => golang.org/x/text v0.40.0\n\nreplace example.com/unused => example.com/unused v1.2.0\n"
	zips := append(textModules("v0.40.0"), "example.com/unused@v1.2.0")
	opt := binaryModulesOpts(goMod, zips, graph)
	// go.sum names the replaced version by its go.mod, which the module graph reads.
	opt.ModuleFiles["go.sum"] = goSumFor(zips, []string{"golang.org/x/text@v0.41.0"})["go.sum"]
	_, g := convert(t, minimal, opt)
	files, modCache := buildInputs(t, g)
	if !strings.Contains(files["/go.mod"], "\nreplace golang.org/x/text => golang.org/x/text v0.40.0\n") || strings.Contains(files["/go.mod"], "unused") {
		t.Errorf("go.mod:\n%s\nwant text's replace line alone", files["/go.mod"])
	}
	if got, want := modCache["golang.org/x/text@v0.40.0"], "download golang.org/x/text@v0.40.0 /golang.org/x/text@v0.40.0"; got != want {
		t.Errorf("text's tree: %q, want %q", got, want)
	}
}

// TestBinaryModulesKeys: a go.mod change that adds a module no package of the binary imports
// leaves everything go build reads the same (its module files, the layers and selectors of its
// module cache); a bump of a module it builds changes them.
func TestBinaryModulesKeys(t *testing.T) {
	inputs := func(goMod string, zips []string, text string) string {
		_, g := convert(t, minimal, binaryModulesOpts(goMod, zips, textGraph(text)))
		files, modCache := buildInputs(t, g)
		build := g.named(compileName)
		var layers []string
		for _, dest := range build.mountDests() {
			if strings.HasPrefix(dest, goModCache) {
				from, _ := build.mountSource(dest)
				layers = append(layers, dest+" "+string(from.dgst))
			}
		}
		out, _ := json.Marshal([]any{files, modCache, layers, build.exec().Meta})
		return string(out)
	}
	before := inputs(textGoMod("v0.41.0"), textModules("v0.41.0"), "v0.41.0")
	added := inputs(textGoMod("v0.41.0")+"\nrequire example.com/tool v1.0.0 // indirect\n", append(textModules("v0.41.0"), "example.com/tool@v1.0.0"), "v0.41.0")
	if before != added {
		t.Errorf("adding a module the binary does not build changed what go build reads:\n%s\n%s", before, added)
	}
	bumped := inputs(textGoMod("v0.42.0"), textModules("v0.42.0"), "v0.42.0")
	if before == bumped {
		t.Errorf("a bump of a module the binary builds left what go build reads the same")
	}
}

// TestBinaryModulesFallback checks the builds whose go build reads the project's go.mod, go.sum
// and whole module cache: every download layer's download directory, and every tree go.sum
// names by its zip, mounted (mountedModuleCache).
func TestBinaryModulesFallback(t *testing.T) {
	zips := textModules("v0.41.0")
	tests := []struct {
		desc  string
		goMod string
		zips  []string
		mods  []string // named by their go.mod alone
	}{
		{"a go line before 1.17, which loads every go.mod of the graph", strings.Replace(textGoMod("v0.41.0"), "go 1.24", "go 1.16", 1), zips, nil},
		{"no go line", strings.Replace(textGoMod("v0.41.0"), "go 1.24\n", "", 1), zips, nil},
		{"a module go.sum does not name by its zip", textGoMod("v0.41.0"), zips[:3], zips[3:]},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opt := binaryModulesOpts(tt.goMod, tt.zips, textGraph("v0.41.0"))
			opt.ModuleFiles["go.sum"] = goSumFor(tt.zips, tt.mods)["go.sum"]
			_, g := convert(t, minimal, opt)
			files, modCache := buildInputs(t, g)
			want := map[string]string{}
			for _, m := range tt.zips {
				want[m] = "download " + m + " /" + m
			}
			if len(files) != 0 || !cmp.Equal(modCache, want) {
				t.Errorf("go build reads files %v and module directories %v, want the project's and %v", files, modCache, want)
			}
			if base, _ := g.named(compileName).mountSource(goModCache); base.name() != "[internal] the module cache's download directories" {
				t.Errorf("go build reads the module cache %v, want every layer's download directory", base)
			}
			if reads := buildReads(t, g, "./cmd/app"); len(reads) < 2 || reads[0] != "go.mod" || reads[1] != "go.sum" {
				t.Errorf("go build reads %q, want the project's go.mod and go.sum", reads)
			}
		})
	}
}

// TestBinaryModulesSameBinary runs the real go command: a binary built with its own module
// files and module cache (what binaryModules mounts, copied out of a full module cache) is
// the same, byte for byte, as one built with the project's. The project has what could tell
// them apart: a dependency at go 1.12, whose requirements the go command would load
// transitively, requiring a module no package imports and a version of another the project
// excludes; a module required for a test alone; toolchain and godebug lines. (A replace by another version downloads every module in one
// step, whose module cache go build reads whole.)
func TestBinaryModulesSameBinary(t *testing.T) {
	testenv.SkipIfShort(t, "runs the go command")
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	publish := func(mod, version string, files map[string]string) {
		t.Helper()
		src := filepath.Join(tmp, "src", mod+"@"+version)
		testenv.WriteFiles(t, src, files)
		dir := filepath.Join(proxy, mod, "@v")
		testenv.WriteFiles(t, dir, map[string]string{version + ".info": `{"Version":"` + version + `"}`, version + ".mod": files["go.mod"]})
		zf, err := os.Create(filepath.Join(dir, version+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		defer zf.Close()
		if err := modzip.CreateFromDir(zf, module.Version{Path: mod, Version: version}, src); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		publish("example.com/dep", v, map[string]string{"go.mod": "module example.com/dep\n\ngo 1.21\n", "dep.go": "package dep\n\nfunc Dep() string { return \"" + v + "\" }\n"})
	}
	publish("example.com/old", "v1.0.0", map[string]string{"go.mod": "module example.com/old\n\ngo 1.12\n\nrequire (\n\texample.com/far v1.0.0\n\texample.com/dep v1.1.0\n)\n", "old.go": "package old\n\nconst Version = \"v1\"\n"})
	publish("example.com/far", "v1.0.0", map[string]string{"go.mod": "module example.com/far\n\ngo 1.12\n", "far.go": "package far\n"})
	publish("example.com/tool", "v1.0.0", map[string]string{"go.mod": "module example.com/tool\n\ngo 1.21\n", "tool.go": "package tool\n"})
	main := filepath.Join(tmp, "main")
	testenv.WriteFiles(t, main, map[string]string{
		"go.mod":               "module example.com/m\n\ngo 1.24\n\ntoolchain go1.24.0\n\ngodebug panicnil=1\n\nrequire (\n\texample.com/dep v1.0.0\n\texample.com/old v1.0.0\n\texample.com/tool v1.0.0\n)\n\nexclude example.com/dep v1.1.0\n",
		"cmd/app/main.go":      "package main\n\nimport (\n\t\"example.com/dep\"\n\t\"example.com/old\"\n)\n\nfunc main() { println(dep.Dep(), old.Version) }\n",
		"cmd/app/main_test.go": "package main\n\nimport _ \"example.com/tool\"\n",
	})
	modCache := filepath.Join(tmp, "modcache")
	env := []string{"GOPROXY=file://" + proxy, "GOSUMDB=off", "GOMODCACHE=" + modCache, "GOFLAGS=-modcacherw", "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local"}
	run := func(dir string, env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run(main, env, "mod", "tidy")
	run(main, env, "mod", "download", "all")

	opt := crossOpts(arm64) // what go build's name says; the test builds for the host
	opt.ModuleFiles = map[string][]byte{}
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(main, f))
		if err != nil {
			t.Fatal(err)
		}
		opt.ModuleFiles[f] = data
	}
	mainSrc, err := os.ReadFile(filepath.Join(main, "cmd/app/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	opt.ImportHeaders = map[string][]byte{"cmd/app/main.go": ImportHeader(mainSrc)}
	opt.Reader = &graphReader{graph: &depGraph{
		Modules: []graphModule{
			{Path: "example.com/dep", Version: "v1.0.0", GoVersion: "1.21"},
			{Path: "example.com/old", Version: "v1.0.0", GoVersion: "1.12"},
		},
		Packages: []graphPackage{
			{ImportPath: "example.com/m/cmd/app", Imports: []string{"example.com/dep", "example.com/old"}},
			{ImportPath: "example.com/dep", Module: "example.com/dep"},
			{ImportPath: "example.com/old", Module: "example.com/old"},
		},
	}}
	_, g := convert(t, minimal, opt)
	files, mounts := buildInputs(t, g)
	if len(files) != 2 || len(mounts) != 4 {
		t.Fatalf("go build reads files %v and module directories %v, want its own", files, mounts)
	}
	own := filepath.Join(tmp, "own")
	if err := os.CopyFS(own, os.DirFS(main)); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(own, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What a download layer holds: the module's tree, and of its download directory the
	// version's go.mod, .info and .ziphash (goimage-helper fetch).
	ownCache := filepath.Join(tmp, "owncache")
	versions := map[string]string{"example.com/dep": "v1.0.0", "example.com/old": "v1.0.0"}
	for dest, from := range mounts {
		selector := from[strings.LastIndex(from, " ")+1:]
		dir, ok := strings.CutSuffix(dest, "/@v")
		if !ok {
			if err := os.CopyFS(filepath.Join(ownCache, dest), os.DirFS(filepath.Join(modCache, path.Clean(selector)))); err != nil {
				t.Fatalf("%s from %s: %v", dest, from, err)
			}
			continue
		}
		v := versions[strings.TrimPrefix(dir, "cache/download/")]
		for _, ext := range []string{".mod", ".info", ".ziphash"} {
			data, err := os.ReadFile(filepath.Join(modCache, path.Clean(selector), v+ext))
			if err == nil {
				err = os.MkdirAll(filepath.Join(ownCache, dest), 0o755)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(ownCache, dest, v+ext), data, 0o644)
			}
			if err != nil {
				t.Fatalf("%s from %s: %v", dest, from, err)
			}
		}
	}

	build := []string{"build", "-trimpath", "-ldflags=-s -w -buildid=", "-o"}
	run(main, append(env, "GOCACHE="+t.TempDir()), append(build, filepath.Join(tmp, "project.bin"), "./cmd/app")...)
	offline := []string{"GOPROXY=off", "GOFLAGS=-mod=readonly", "GOMODCACHE=" + ownCache, "GOCACHE=" + t.TempDir(), "CGO_ENABLED=0", "GOWORK=off", "GOTOOLCHAIN=local"}
	run(own, offline, append(build, filepath.Join(tmp, "own.bin"), "./cmd/app")...)
	a, errA := os.ReadFile(filepath.Join(tmp, "project.bin"))
	b, errB := os.ReadFile(filepath.Join(tmp, "own.bin"))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if string(a) != string(b) {
		t.Errorf("the binary built with its own module files (%d bytes) differs from the project's (%d bytes)", len(b), len(a))
	}
}
