package e2e

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/errdefs"
)

// project copies testdata/projects/NAME, a stand-in for a real project's shape, to a
// temporary directory.
func project(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(repoRoot(t), "testdata", "projects", name))); err != nil {
		t.Fatalf("copy project %s: %v", name, err)
	}
	return dst
}

// TestProjectShapes builds each stand-in project shape, checks its image and runs it.
func TestProjectShapes(t *testing.T) {
	c := daemon(t)
	for _, tc := range []struct {
		desc, name string
		attrs      map[string]string
		binaries   []string // the image's files at the root, the first the entrypoint
		want       string
		noSteps    string // the prefix of the steps the build must not have
	}{
		{
			desc: "two binaries, flags, version data, files, time zones and CA certificates on scratch", name: "service",
			attrs:    map[string]string{"build-arg:VERSION": "1.2.3", "vcs:revision": "abc123", "build-arg:SOURCE_DATE_EPOCH": "1700000000"},
			binaries: []string{"api", "tool", "etc"},
			want:     "bonjour, api; version=1.2.3 revision=abc123 date=2023-11-14T22:13:20Z zone=CET ca=true",
		},
		{
			desc: "--target picks one binary, which becomes the entrypoint", name: "service",
			attrs:    map[string]string{"target": "tool"},
			binaries: []string{"tool", "etc"},
			want:     "tool built with the tool tag",
		},
		{
			desc: "a vendored module builds without a download step", name: "vendored",
			binaries: []string{"app"},
			want:     "vendored: clear is better than clever",
			noSteps:  "download ",
		},
		{
			desc: "code generation with a go.mod tool directive", name: "generate",
			binaries: []string{"app"},
			want:     "generated: Red Green Blue",
		},
		{
			desc: "Go code from .proto files, with buf and protoc-gen-go installed by version", name: "proto",
			binaries: []string{"app"},
			want:     "proto: hello x3 at 1700000000, 17 bytes",
		},
		{
			desc: "a go.work workspace", name: "workspace",
			binaries: []string{"app"},
			want:     "workspace: lib from the workspace",
		},
		{
			// The go command writes the missing checksums to go.work.sum, beside go.work on
			// the read-only source: goimage-helper workspace gives it a writable copy.
			desc: "a go.work workspace with no go.work.sum and a module with no go.sum", name: "worksum",
			binaries: []string{"app"},
			want:     "worksum: lib 2f3e1d93-9446-5c44-8310-1b5ace438dfb",
		},
		{
			// go list names each package a profiled main imports once for that main; the
			// replace by a directory makes the list read the context, profiles and all.
			desc: "two mains with a default.pgo each, built with their profiles", name: "pgo",
			binaries: []string{"a", "b"},
			want:     "pgo a: hello, A; profile default.pgo",
		},
		{
			desc: "modules nested in one another's paths (go.opentelemetry.io/otel, .../trace, .../metric)", name: "nested",
			binaries: []string{"app"},
			want:     "nested: server false",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			ref := imageRef(t, tc.name)
			_, vs, err := solve(t, c, project(t, tc.name), tc.attrs, pushExport(ref))
			if err != nil {
				t.Fatalf("build: %v\n%s", err, vs.output())
			}
			if got := vs.prefixed(tc.noSteps); tc.noSteps != "" && len(got) > 0 {
				t.Errorf("the build has the steps %q", got)
			}
			// A module compile step that fails lets the build go on (go build compiles what
			// its layer lacks), so only its log tells.
			if out := vs.output(); strings.Contains(out, "warming the cache failed") {
				t.Errorf("a compile step failed:\n%s", out)
			}
			imgs := pulledImages(t, ref)
			if len(imgs) != 1 {
				t.Fatalf("%d images, want 1", len(imgs))
			}
			img := imgs[0]
			if diff := cmp.Diff(img.Config.Config.Entrypoint, []string{"/" + tc.binaries[0]}); diff != "" {
				t.Errorf("entrypoint (-got +want):\n%s", diff)
			}
			var root []string
			for _, l := range img.Layers {
				for name := range l {
					if top, _, _ := strings.Cut(name, "/"); !slices.Contains(root, top) {
						root = append(root, top)
					}
				}
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(root)), slices.Sorted(slices.Values(tc.binaries))); diff != "" {
				t.Errorf("the image's root (-got +want):\n%s", diff)
			}
			if out := runImage(t, c, ref); !strings.Contains(out, tc.want) {
				t.Errorf("running the image printed %q, want %q", out, tc.want)
			}
			if rev := tc.attrs["vcs:revision"]; rev != "" {
				labels := img.Config.Config.Labels
				if labels["org.opencontainers.image.revision"] != rev || labels["org.opencontainers.image.created"] != "2023-11-14T22:13:20Z" {
					t.Errorf("labels %v, want the revision %s and the creation time of SOURCE_DATE_EPOCH", labels, rev)
				}
			}
			if tc.name == "service" {
				cfg := img.Config.Config
				if _, ok := cfg.Volumes["/data"]; !ok || cfg.StopSignal != "SIGINT" || cfg.User != "65532:65532" {
					t.Errorf("volumes %v, stop signal %q, user %q; want /data, SIGINT, 65532:65532", cfg.Volumes, cfg.StopSignal, cfg.User)
				}
				if f, ok := img.file("etc/api/api.conf"); !ok || f.UID != 0 || f.Mode&0o022 != 0 {
					t.Errorf("/etc/api/api.conf: present %v, uid %d, mode %o; want root-owned, not group or world writable", ok, f.UID, f.Mode)
				}
			}
		})
	}
}

// TestGenerateKeyedOnInputs checks that an edit outside a generate step's inputs keeps the
// step cached, and an edit inside them runs it again.
func TestGenerateKeyedOnInputs(t *testing.T) {
	c := daemon(t)
	dir := project(t, "generate")
	const step = "generate: go tool stringer -type=Color ./color"
	if _, vs, err := solve(t, c, dir, nil); err != nil {
		t.Fatalf("build: %v\n%s", err, vs.output())
	}
	appendEdit(t, filepath.Join(dir, "main.go"))
	_, vs, err := solve(t, c, dir, nil)
	if err != nil {
		t.Fatalf("build after an edit of main.go: %v\n%s", err, vs.output())
	}
	if !vs.reused(t, step) {
		t.Errorf("an edit of main.go re-ran %q", step)
	}
	appendEdit(t, filepath.Join(dir, "color", "color.go"))
	if _, vs, err = solve(t, c, dir, nil); err != nil {
		t.Fatalf("build after an edit of color.go: %v\n%s", err, vs.output())
	}
	if vs.reused(t, step) {
		t.Errorf("an edit of its input color/color.go left %q cached", step)
	}
}

// TestTestTarget runs the test target: passing tests let the build succeed, a failing test
// fails it with go test's output and the Goimagefile's test line.
func TestTestTarget(t *testing.T) {
	c := daemon(t)
	dir := project(t, "service")
	appendEdit(t, filepath.Join(dir, "internal", "greet", "greet.go")) // never a cache hit
	_, vs, err := solve(t, c, dir, map[string]string{"target": "test"})
	if err != nil {
		t.Fatalf("passing tests: %v\n%s", err, vs.output())
	}
	if out := vs.output(); !strings.Contains(out, "ok  \texample.com/service/internal/greet") {
		t.Errorf("go test output lacks the package's ok line:\n%s", out)
	}

	write(t, filepath.Join(dir, "internal", "greet", "fail_test.go"),
		"package greet\n\nimport \"testing\"\n\nfunc TestFails(t *testing.T) { t.Fatal(\"this test fails on purpose\") }\n")
	_, vs, err = solve(t, c, dir, map[string]string{"target": "test"})
	if err == nil {
		t.Fatalf("a failing test did not fail the build:\n%s", vs.output())
	}
	if out := vs.output(); !strings.Contains(out, "this test fails on purpose") {
		t.Errorf("the build output lacks the failing test's message:\n%s", out)
	}
	// The test field's value starts at line 28, "packages:".
	if !hasSourceLine(err, 28) {
		t.Errorf("the error does not point at the Goimagefile's test field (line 28): %v", err)
	}
}

// hasSourceLine reports whether err carries a Goimagefile source range starting at line.
func hasSourceLine(err error, line int32) bool {
	for _, s := range errdefs.Sources(err) {
		for _, r := range s.Ranges {
			if r.Start.Line == line {
				return true
			}
		}
	}
	return false
}

// TestCGO builds the cgo shape with the builder's gcc onto the distroless base with glibc,
// runs it, and checks that a cross build is refused at the cgo line.
func TestCGO(t *testing.T) {
	c := daemon(t)
	dir := project(t, "cgo")
	ref := imageRef(t, "cgo")
	_, vs, err := solve(t, c, dir, nil, pushExport(ref))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, vs.output())
	}
	imgs := pulledImages(t, ref)
	if len(imgs) != 1 {
		t.Fatalf("%d images, want 1", len(imgs))
	}
	bin, ok := imgs[0].file("app")
	if !ok {
		t.Fatal("the image has no /app")
	}
	f, err := elf.NewFile(bytes.NewReader(bin.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Errorf("/app is static: a cgo binary links against glibc")
	}
	if out := runImage(t, c, ref); !strings.Contains(out, "cgo: 2+3=5, strlen=7") {
		t.Errorf("running the image printed %q", out)
	}

	_, vs, err = solve(t, c, dir, map[string]string{"platform": "linux/arm64"})
	if err == nil {
		t.Fatalf("a cgo cross build succeeded:\n%s", vs.output())
	}
	if !strings.Contains(err.Error(), "cannot cross-compile") || !hasSourceLine(err, 5) {
		t.Errorf("the cross build's error = %v; want the cgo refusal at line 5", err)
	}
}

// TestPlainBases builds onto alpine and debian-slim, the seed 004 shape (a plain final image,
// tzdata and TZ), and runs the binary as the non-root user there.
func TestPlainBases(t *testing.T) {
	c := daemon(t)
	for _, base := range []string{"alpine:3", "debian:12-slim"} {
		t.Run(base, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "Goimagefile"), "# syntax=goimage/frontend:1\nversion: 1\nmain: .\ntzdata: true\nbase: "+base+"\nimage:\n  env: {TZ: Europe/Paris}\n")
			write(t, filepath.Join(dir, "go.mod"), "module example.com/zone\n\ngo 1.26\n")
			write(t, filepath.Join(dir, "main.go"), "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"time\"\n)\n\n"+
				"func main() {\n\tzone := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).In(time.Local).Format(\"MST\")\n\tfmt.Printf(\"zone=%s uid=%d\\n\", zone, os.Getuid())\n}\n")
			ref := imageRef(t, "bases")
			_, vs, err := solve(t, c, dir, nil, pushExport(ref))
			if err != nil {
				t.Fatalf("build: %v\n%s", err, vs.output())
			}
			imgs := pulledImages(t, ref)
			if len(imgs) != 1 || len(imgs[0].Layers) < 2 {
				t.Fatalf("want one image with the base's layers under the binary's")
			}
			_, sh := imgs[0].file("bin/sh")
			if _, usrSh := imgs[0].file("usr/bin/sh"); !sh && !usrSh { // Debian's /bin is /usr/bin
				t.Errorf("the %s base's /bin/sh is missing: the binary was not put on that base", base)
			}
			if out := runImage(t, c, ref); !strings.Contains(out, "zone=CEST uid=65532") {
				t.Errorf("running the image printed %q, want zone=CEST uid=65532", out)
			}
		})
	}
}
