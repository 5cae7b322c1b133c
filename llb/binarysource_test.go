package llb

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
)

const binariesFile = "version: 1\ndir: svc\nbinaries:\n  - main: ./cmd/a\n  - main: ./cmd/b\n  - main: .\n    name: svc\n"

// binariesOpts are the options of a build of binariesFile: its module files and headers, and
// the list's graph, where cmd/a imports internal/x, which imports internal/y, and a plugin
// module that imports internal/core back, and cmd/b imports internal/y.
func binariesOpts() Options {
	opt := headersOpts(headersGoMod, appSource(""))
	opt.Reader = &graphReader{graph: testGraph([]string{"github.com/spf13/pflag@v1.0.6", "example.org/plugin@v1.0.0"}, map[string]string{
		"example.com/svc/cmd/a":         ": example.com/svc/internal/x github.com/spf13/pflag example.org/plugin",
		"example.com/svc/cmd/b":         ": example.com/svc/internal/y",
		"example.com/svc/internal/x":    ": example.com/svc/internal/y",
		"example.com/svc/internal/y":    ":",
		"example.com/svc/internal/core": ":",
		"example.com/svc":               ": example.com/svc/internal/x",
		"github.com/spf13/pflag":        "github.com/spf13/pflag:",
		"example.org/plugin":            "example.org/plugin: example.com/svc/internal/core",
	})}
	return opt
}

// withPackage is binariesOpts with package ip of the graph changed to desc (testGraph's form),
// or removed for "".
func withPackage(ip, desc string) func() Options {
	return func() Options {
		o := binariesOpts()
		r := o.Reader.(*graphReader)
		r.graph.Packages = slices.DeleteFunc(r.graph.Packages, func(p graphPackage) bool { return p.ImportPath == ip })
		if desc != "" {
			r.graph.Packages = append(r.graph.Packages, testGraph(nil, map[string]string{ip: desc}).Packages...)
		}
		return o
	}
}

// buildReads is what the go build of main reads at srcDir: the include patterns of the copy
// it mounts, "except PATTERN" for its exclude patterns and "written PATH" for each file
// written over it, or nil when it mounts the build context itself.
func buildReads(t *testing.T, g *graph, main string) []string {
	t.Helper()
	return stepReads(t, g, "go build "+main+" linux/arm64")
}

// stepReads is buildReads for the step named name.
func stepReads(t *testing.T, g *graph, name string) []string {
	t.Helper()
	src, _ := g.named(name).mountSource(srcDir)
	if src == nil {
		t.Fatalf("%s mounts scratch at %s", name, srcDir)
	}
	if src.op.GetSource() != nil {
		return nil
	}
	actions := src.file().Actions
	if len(actions) == 0 || actions[0].GetCopy() == nil {
		t.Fatalf("%s reads %v, want a copy", name, src)
	}
	if ctx, _ := src.input(0); ctx.op.GetSource() == nil {
		t.Errorf("%s reads a copy of %v, want of the build context", name, ctx)
	}
	reads := slices.Clone(actions[0].GetCopy().IncludePatterns)
	for _, p := range actions[0].GetCopy().ExcludePatterns {
		reads = append(reads, "except "+p)
	}
	for _, a := range actions[1:] {
		mk := a.GetMkfile()
		if mk == nil {
			t.Fatalf("%s reads %v, want a copy and files", name, src)
		}
		reads = append(reads, "written "+mk.Path)
	}
	return reads
}

// TestBinarySource checks that each binary's go build reads the module files and the
// directories of the main module's packages it builds, and no other: module files of its
// own (binaryModules) where it can have them, cmd/b and the root package, which build no
// other module's package, else the project's, cmd/a, whose modules go.sum does not name. The
// root package's directory holds every other: its go build reads all of it but the module
// files.
func TestBinarySource(t *testing.T) {
	_, g := convert(t, binariesFile, binariesOpts())
	want := map[string][]string{
		"./cmd/a": {"svc/go.mod", "svc/go.sum", "svc/cmd/a", "svc/internal/core", "svc/internal/x", "svc/internal/y"},
		"./cmd/b": {"svc/cmd/b", "svc/internal/y", "written /svc/go.mod", "written /svc/go.sum"},
		".":       {"svc", "except svc/go.mod", "except svc/go.sum", "written /svc/go.mod", "written /svc/go.sum"},
	}
	for main, want := range want {
		if diff := cmp.Diff(buildReads(t, g, main), want); diff != "" {
			t.Errorf("go build %s reads (-got +want):\n%s", main, diff)
		}
		// BuildKit keys a copy on the content it copies: go build keys its mount of the
		// copy on the copy, without hashing its files again.
		if got := g.named("go build " + main + " linux/arm64").mount(srcDir).ContentCache; got != pb.MountContentCache_OFF {
			t.Errorf("go build %s: content cache of its mount of the copy %v, want off", main, got)
		}
	}
}

// TestBinarySourceFallback checks the builds whose go build reads the whole context.
func TestBinarySourceFallback(t *testing.T) {
	tests := []struct {
		desc, file string
		opt        func() Options
	}{
		{"cgo, whose C files may include from anywhere", binariesFile + "cgo: true\n", binariesOpts},
		{"no import headers", binariesFile, func() Options {
			o := binariesOpts()
			o.ImportHeaders = nil
			return o
		}},
		{"no graph", binariesFile, func() Options {
			o := binariesOpts()
			o.Reader = nil
			return o
		}},
		{"no go.mod", binariesFile, func() Options {
			o := binariesOpts()
			delete(o.ModuleFiles, "svc/go.mod")
			return o
		}},
		{"a main package the graph lacks", binariesFile, withPackage("example.com/svc/cmd/a", "")},
		{"an import the graph lacks (go list could not find it)", binariesFile, withPackage("example.com/svc/internal/y", "")},
		{"the root package, imported through a module, without module files of its own", binariesFile, withPackage("example.org/plugin", "example.org/plugin: example.com/svc")},
		{"a PGO profile named by a flag", "version: 1\ndir: svc\nbinaries:\n  - main: ./cmd/a\n    flags: [-pgo=profiles/a.pprof]\n", binariesOpts},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			opt := tt.opt()
			opt.BuildPlatform = arm64 // cgo builds natively
			_, g := convert(t, tt.file, opt)
			if got := buildReads(t, g, "./cmd/a"); got != nil {
				t.Errorf("go build ./cmd/a reads %q, want the build context", got)
			}
			if got := g.named("go build ./cmd/a linux/arm64").mount(srcDir).ContentCache; got != pb.MountContentCache_DEFAULT {
				t.Errorf("content cache of the mount of the build context %v, want the default (on)", got)
			}
		})
	}
}
