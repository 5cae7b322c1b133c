package llb

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestImportHeader checks that go/build reads the same package from a file's import header
// as from the file: its name, imports, build constraints, cgo, and whether it is ignored.
func TestImportHeader(t *testing.T) {
	tests := []struct {
		desc, src, want string
	}{
		{
			desc: "grouped imports and a body",
			src:  "package main\n\nimport (\n\t\"fmt\"\n\tx \"example.com/x\"\n)\n\nfunc main() { fmt.Println(x.X) }\n",
			want: "package main\n\nimport (\n\t\"fmt\"\n\tx \"example.com/x\"\n)\n",
		},
		{
			desc: "build constraints, a cgo preamble and two import declarations",
			src:  "// Copyright\n\n//go:build linux && !arm\n\n// Package p does things.\npackage p\n\n/*\n#include <stdio.h>\n*/\nimport \"C\"\nimport _ \"embed\" // for the files\n\n//go:embed a.txt\nvar a string\n",
			want: "// Copyright\n\n//go:build linux && !arm\n\n// Package p does things.\npackage p\n\n/*\n#include <stdio.h>\n*/\nimport \"C\"\nimport _ \"embed\"\n",
		},
		{
			desc: "an ignored file",
			src:  "//go:build ignore\n\npackage main\n\nimport \"example.com/tool\"\n\nfunc main() { tool.Run() }\n",
			want: "//go:build ignore\n\npackage main\n\nimport \"example.com/tool\"\n",
		},
		{
			desc: "no import",
			src:  "package p\n\nconst X = 1\n",
			want: "package p\n",
		},
		{
			desc: "an error after the imports, for go build to report",
			src:  "package p\n\nimport \"strings\"\n\nfunc f( {\n",
			want: "package p\n\nimport \"strings\"\n",
		},
		{
			desc: "an error in the imports: the whole file, for go list to report",
			src:  "package p\n\nimport (\n\t\"strings\"\n\nfunc f() {}\n",
			want: "package p\n\nimport (\n\t\"strings\"\n\nfunc f() {}\n",
		},
		{
			desc: "no package clause: the whole file",
			src:  "import \"strings\"\n",
			want: "import \"strings\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := string(ImportHeader([]byte(tt.src)))
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ImportHeader (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(goBuildSees(t, got), goBuildSees(t, tt.src)); diff != "" {
				t.Errorf("go/build reads the header otherwise than the file (-header +file):\n%s", diff)
			}
		})
	}
}

// goBuildSees is what go/build reads of a package of one file, src, for linux/amd64 with
// cgo on.
func goBuildSees(t *testing.T, src string) map[string]any {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH, ctxt.CgoEnabled = "linux", "amd64", true
	p, err := ctxt.ImportDir(dir, 0)
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	return map[string]any{
		"name": p.Name, "imports": p.Imports, "go": p.GoFiles, "cgo": p.CgoFiles,
		"ignored": p.IgnoredGoFiles, "invalid": p.InvalidGoFiles, "error": errText != "",
	}
}

// TestImportHeaderPrefix checks the header of a file read in part: the same as of the whole
// file when the imports end within the part, none when they may not.
func TestImportHeaderPrefix(t *testing.T) {
	file := "package p\n\nimport (\n\t\"fmt\"\n)\n\nimport \"os\"\n\nfunc f() { fmt.Println(os.Args) }\n"
	for _, tt := range []struct {
		desc   string
		prefix int
		ok     bool
	}{
		{"the whole file", len(file), true},
		{"up to the function", strings.Index(file, "func") + 2, true},
		{"up to the end of the imports", strings.Index(file, "func"), false},
		{"between the two import declarations", strings.Index(file, "import \"os\""), false},
		{"inside the first import declaration", strings.Index(file, "fmt"), false},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			got, ok := ImportHeaderPrefix([]byte(file[:tt.prefix]))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (header %q)", ok, tt.ok, got)
			}
			if want := ImportHeader([]byte(file)); ok && string(got) != string(want) {
				t.Errorf("header %q, want %q", got, want)
			}
		})
	}
}

// TestListedNames checks which names the frontend reads headers of.
func TestListedNames(t *testing.T) {
	for name, want := range map[string]bool{"main.go": true, "x_linux.go": true, "main_test.go": false, "_x.go": false, ".x.go": false, "x.s": false, "go.mod": false} {
		if got := ListedGoFile(name); got != want {
			t.Errorf("ListedGoFile(%q) = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]bool{"cmd": true, "internal": true, "testdata": true, "_old": true, ".git": false} {
		if got := ListedDir(name); got != want {
			t.Errorf("ListedDir(%q) = %v, want %v", name, got, want)
		}
	}
}

// headersOpts are options with module files and import headers for the module in svc/.
func headersOpts(goMod string, sources map[string]string) Options {
	opt := crossOpts(arm64)
	opt.ModuleFiles = map[string][]byte{
		"svc/go.mod": []byte(goMod),
		"svc/go.sum": []byte("example.com/x v1.0.0 h1:zip=\nexample.com/x v1.0.0/go.mod h1:mod=\n"),
	}
	opt.ImportHeaders = map[string][]byte{}
	for name, src := range sources {
		opt.ImportHeaders[name] = ImportHeader([]byte(src))
	}
	return opt
}

const (
	headersFile  = "version: 1\ndir: svc\nmain: ./cmd/app\n"
	headersGoMod = "module example.com/svc\n\ngo 1.24\n\nrequire example.com/x v1.0.0\n"
	headersList  = "list the dependencies of ./cmd/app linux/arm64"
)

// appSource is the module's source, with an edit of main's body.
func appSource(body string) map[string]string {
	return map[string]string{
		"svc/cmd/app/main.go":  "package main\n\nimport \"example.com/svc/internal/x\"\n\nfunc main() { " + body + " }\n",
		"svc/internal/x/x.go":  "package x\n\nimport \"example.com/x\"\n\nvar X = x.X\n",
		"svc/internal/x/os.go": "//go:build linux\n\npackage x\n\nimport \"os\"\n\nvar Args = os.Args\n",
	}
}

// TestListSource checks that the list step reads the module files and import headers, in a
// file op at their paths, and that go build still reads the build context.
func TestListSource(t *testing.T) {
	_, g := convert(t, headersFile, headersOpts(headersGoMod, appSource("x.X()")))
	list := g.named(headersList)
	src, _ := list.mountSource(srcDir)
	if src == nil || src.op.GetFile() == nil {
		t.Fatalf("the list reads %v at %s, want the headers' file op", src, srcDir)
	}
	got := map[string]string{}
	for _, a := range src.file().Actions {
		if f := a.GetMkfile(); f != nil {
			got[f.Path] = string(f.Data)
		}
	}
	want := map[string]string{
		"/svc/go.mod":           headersGoMod,
		"/svc/go.sum":           "example.com/x v1.0.0 h1:zip=\nexample.com/x v1.0.0/go.mod h1:mod=\n",
		"/svc/cmd/app/main.go":  "package main\n\nimport \"example.com/svc/internal/x\"\n",
		"/svc/internal/x/x.go":  "package x\n\nimport \"example.com/x\"\n",
		"/svc/internal/x/os.go": "//go:build linux\n\npackage x\n\nimport \"os\"\n",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("files the list reads (-got +want):\n%s", diff)
	}
	build := g.named("go build ./cmd/app linux/arm64")
	if ctx, _ := build.mountSource(srcDir); ctx == nil || ctx.op.GetSource() == nil {
		t.Errorf("go build reads %v at %s, want the build context", ctx, srcDir)
	}
}

// TestListSourceEdit checks the list's key: an edit of a function body leaves it as it was,
// an edit of the imports changes it.
func TestListSourceEdit(t *testing.T) {
	listDigest := func(sources map[string]string) string {
		_, g := convert(t, headersFile, headersOpts(headersGoMod, sources))
		return string(g.named(headersList).dgst)
	}
	before := listDigest(appSource("x.X()"))
	if after := listDigest(appSource("x.X(); x.X()")); after != before {
		t.Errorf("an edit of main's body changed the list step: %s, was %s", after, before)
	}
	imports := appSource("x.X()")
	imports["svc/cmd/app/main.go"] = "package main\n\nimport (\n\t\"example.com/svc/internal/x\"\n\t\"fmt\"\n)\n\nfunc main() { fmt.Println(x.X) }\n"
	if after := listDigest(imports); after == before {
		t.Error("an edit of main's imports left the list step as it was")
	}
}

// TestListSourceFallback checks the builds whose list reads the build context: the module
// files and headers cannot tell what it would.
func TestListSourceFallback(t *testing.T) {
	tests := []struct {
		desc, file string
		opt        func() Options
	}{
		{"no headers", headersFile, func() Options {
			o := headersOpts(headersGoMod, appSource(""))
			o.ImportHeaders = nil
			return o
		}},
		{"no go.mod", headersFile, func() Options {
			o := headersOpts(headersGoMod, appSource(""))
			delete(o.ModuleFiles, "svc/go.mod")
			return o
		}},
		{"a workspace", headersFile, func() Options {
			o := headersOpts(headersGoMod, appSource(""))
			o.ModuleFiles["svc/go.work"] = []byte("go 1.24\n\nuse .\n")
			return o
		}},
		{"a module replaced by a directory", headersFile, func() Options {
			return headersOpts(headersGoMod+"\nreplace example.com/x => ../x\n", appSource(""))
		}},
		{"an overlay in goflags", headersFile + "goflags: -overlay=overlay.json\n", func() Options {
			return headersOpts(headersGoMod, appSource(""))
		}},
		{"generated source", headersFile + "generate:\n  - run: [go, generate, ./...]\n    inputs: [gen/]\n", func() Options {
			return headersOpts(headersGoMod, appSource(""))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, g := convert(t, tt.file, tt.opt())
			src, _ := g.named(headersList).mountSource(srcDir)
			if src == nil || src.op.GetFile() != nil {
				t.Errorf("the list reads %v, want the build context", src)
			}
		})
	}
	t.Run("a module replaced by a module", func(t *testing.T) {
		_, g := convert(t, headersFile, headersOpts(headersGoMod+"\nreplace example.com/x => example.com/y v1.0.0\n", appSource("")))
		if src, _ := g.named(headersList).mountSource(srcDir); src == nil || src.op.GetFile() == nil {
			t.Errorf("the list reads %v, want the headers", src)
		}
	})
}

// TestNamesFile checks which go command flags name a file of the context.
func TestNamesFile(t *testing.T) {
	for _, tt := range []struct {
		flags []string
		want  bool
	}{
		{[]string{"-race", "-pgo=auto"}, false},
		{[]string{"-pgo=off"}, false},
		{[]string{"-pgo=profiles/app.pprof"}, true},
		{[]string{"-pgo", "app.pprof"}, true},
		{[]string{"--overlay=overlay.json"}, true},
		{[]string{"-modfile=tools.mod"}, true},
		{nil, false},
	} {
		if got := namesFile(tt.flags); got != tt.want {
			t.Errorf("namesFile(%q) = %v, want %v", tt.flags, got, tt.want)
		}
	}
}

// stdOnlySource is a module whose packages import the standard library and one another alone.
func stdOnlySource() map[string]string {
	return map[string]string{
		"svc/cmd/app/main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/svc/internal/x\"\n)\n\nfunc main() { fmt.Println(x.X) }\n",
		"svc/internal/x/x.go": "package x\n\nimport \"C\"\n\nimport \"net/http\"\n\nvar X = http.MethodGet\n",
	}
}

// listReads are the files the list writes at srcDir, by path, and whether it mounts a module
// cache.
func listReads(t *testing.T, g *graph) (files map[string]string, modCache bool) {
	t.Helper()
	list := g.named(headersList)
	src, _ := list.mountSource(srcDir)
	files = map[string]string{}
	for _, a := range src.file().Actions {
		if f := a.GetMkfile(); f != nil {
			files[f.Path] = string(f.Data)
		}
	}
	mc, _ := list.mountSource(goModCache)
	return files, mc != nil
}

// TestListStdOnly: where the main module imports only the standard library, the list reads
// go.mod without its requirements, no go.sum and no module cache, so a go get of a module no
// package imports leaves it, and the build's every step, as they were.
func TestListStdOnly(t *testing.T) {
	goMod := "module example.com/svc\n\ngo 1.24\n\ntoolchain go1.24.2\n\ngodebug panicnil=1\n\nrequire example.com/x v1.0.0\n"
	_, g := convert(t, headersFile, headersOpts(goMod, stdOnlySource()))
	files, modCache := listReads(t, g)
	if got, want := files["/svc/go.mod"], "module example.com/svc\n\ngo 1.24\n\ntoolchain go1.24.2\n\ngodebug panicnil=1\n"; got != want {
		t.Errorf("the list's go.mod:\n%s\nwant:\n%s", got, want)
	}
	if _, ok := files["/svc/go.sum"]; ok {
		t.Error("the list reads go.sum")
	}
	if modCache {
		t.Error("the list mounts a module cache")
	}

	bumped := headersOpts(goMod+"\nrequire example.com/tool v1.2.0\n", stdOnlySource())
	bumped.ModuleFiles["svc/go.sum"] = append(bumped.ModuleFiles["svc/go.sum"], "example.com/tool v1.2.0 h1:zip=\nexample.com/tool v1.2.0/go.mod h1:mod=\n"...)
	_, after := convert(t, headersFile, bumped)
	if before, after := g.named(headersList).dgst, after.named(headersList).dgst; before != after {
		t.Errorf("a go get of a module nothing imports changed the list: %s, was %s", after, before)
	}
}

// TestListStdOnlyNot: the list reads go.mod, go.sum and the module cache wherever an import
// may come from a module, or the go command would load the requirements.
func TestListStdOnlyNot(t *testing.T) {
	const goMod = "module example.com/svc\n\ngo 1.24\n\nrequire example.com/x v1.0.0\n"
	tests := []struct {
		desc, goMod, file, src string
	}{
		{"an import with a dot", goMod, "svc/a.go", "package svc\n\nimport \"example.com/x\"\n"},
		{"a required module without a dot", goMod + "\nrequire corp/lib v1.0.0\n", "svc/a.go", "package svc\n\nimport \"corp/lib/y\"\n"},
		{"a replaced module without a dot", goMod + "\nreplace corp/lib => example.com/lib v1.0.0\n", "svc/a.go", "package svc\n\nimport \"corp/lib\"\n"},
		{"a required module within the main module's path", goMod + "\nrequire example.com/svc/v2 v2.0.0\n", "svc/a.go", "package svc\n\nimport \"example.com/svc/v2\"\n"},
		{"a required module the main module's path is nested in", goMod + "\nrequire example.com v1.0.0\n", "svc/a.go", "package svc\n\nimport \"example.com/svc/internal/x\"\n"},
		{"a go line before 1.17", "module example.com/svc\n\ngo 1.16\n\nrequire example.com/x v1.0.0\n", "svc/a.go", "package svc\n\nimport \"fmt\"\n"},
		{"a file that does not parse", goMod, "svc/a.go", "package svc\n\nimport \"fmt\n"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			src := stdOnlySource()
			src[tt.file] = tt.src
			_, g := convert(t, headersFile, headersOpts(tt.goMod, src))
			files, modCache := listReads(t, g)
			if files["/svc/go.mod"] != tt.goMod || files["/svc/go.sum"] == "" || !modCache {
				t.Errorf("the list reads go.mod %q, go.sum %q, a module cache %v: want the project's and a module cache", files["/svc/go.mod"], files["/svc/go.sum"], modCache)
			}
		})
	}
}
