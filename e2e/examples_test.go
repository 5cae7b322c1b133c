package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goimage/goimage/internal/imagerun"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client"
)

// exampleImage is what building an example must give.
type exampleImage struct {
	desc      string
	name      string
	binaries  []string // in the image's root, the first one the entrypoint
	scratch   bool     // nothing in the image but the binaries
	platforms []string
	buildArgs []string
	want      string // what running the image prints
}

var examples = []exampleImage{
	{
		desc: "stdlib only, on scratch", name: "hello",
		binaries: []string{"hello"}, scratch: true, platforms: []string{"linux/amd64"},
		want: "hello from goimage: linux/amd64, uid 65532",
	},
	{
		desc: "third-party modules and a build arg in ldflags, on distroless", name: "deps",
		binaries: []string{"deps"}, platforms: []string{"linux/amd64"},
		buildArgs: []string{"--opt", "build-arg:VERSION=1.2.3"},
		want:      "deps 1.2.3: uuid 09554384-0143-56b0-af5c-55f865b81170, uid 65532",
	},
	{
		desc: "two binaries, two platforms from the spec", name: "multi",
		binaries: []string{"server", "client"}, platforms: []string{"linux/amd64", "linux/arm64"},
		want: "server linux/amd64",
	},
}

// TestExamples builds every example through buildctl and its `# syntax=` line, checks the
// images in the registry and runs them.
func TestExamples(t *testing.T) {
	c := daemon(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) { buildExample(t, c, os.Getenv("BUILDKIT_HOST"), ex) })
	}
}

// buildExample builds an example through buildctl and its `# syntax=` line on the buildkitd at
// host (c), checks its images in the registry and runs it there.
func buildExample(t *testing.T, c *client.Client, host string, ex exampleImage) {
	t.Helper()
	ref := imageRef(t, ex.name)
	buildctlSyntaxAt(t, host, example(t, ex.name), ref, ex.buildArgs...)
	var got []string
	for _, img := range pulledImages(t, ref) {
		got = append(got, img.Platform)
		checkImage(t, ex, img)
	}
	if diff := cmp.Diff(got, ex.platforms); diff != "" {
		t.Errorf("%s: platforms (-got +want):\n%s", ex.desc, diff)
	}
	if out := runImage(t, c, ref); !strings.Contains(out, ex.want) {
		t.Errorf("%s: running the image printed %q, want %q", ex.desc, out, ex.want)
	}
}

// checkImage asserts what every goimage image promises: non-root, the entrypoint, static
// stripped binaries for the image's platform that the runtime user cannot write, no shell.
func checkImage(t *testing.T, ex exampleImage, img *pushedImage) {
	t.Helper()
	cfg := img.Config.Config
	if cfg.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", img.Platform, cfg.User)
	}
	if diff := cmp.Diff(cfg.Entrypoint, []string{"/" + ex.binaries[0]}); diff != "" {
		t.Errorf("%s: entrypoint (-got +want):\n%s", img.Platform, diff)
	}
	for _, sh := range []string{"bin/sh", "bin/bash", "bin/busybox"} {
		if _, ok := img.file(sh); ok {
			t.Errorf("%s: the image has a shell, /%s", img.Platform, sh)
		}
	}
	top := img.Layers[len(img.Layers)-1]
	var names []string
	for name := range top {
		names = append(names, name)
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(ex.binaries))
	if diff := cmp.Diff(names, want); diff != "" {
		t.Errorf("%s: the binaries' layer (-got +want):\n%s", img.Platform, diff)
	}
	if ex.scratch && len(img.Layers) != 1 {
		t.Errorf("%s: a scratch image has %d layers, want 1", img.Platform, len(img.Layers))
	}
	for _, name := range ex.binaries {
		f, ok := top[name]
		if !ok {
			continue
		}
		if f.UID != 0 || f.GID != 0 || f.Mode&0o777 != 0o755 {
			t.Errorf("%s: /%s is %d:%d %o, want root-owned 0755", img.Platform, name, f.UID, f.GID, f.Mode&0o777)
		}
		checkBinary(t, img.Platform+" /"+name, img.Config.Platform.Architecture, f.Data)
	}
}

var elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// checkBinary asserts a binary is an ELF for arch, statically linked and stripped.
func checkBinary(t *testing.T, what, arch string, data []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: not an ELF binary: %v", what, err)
		return
	}
	if f.Machine != elfMachines[arch] {
		t.Errorf("%s: machine %v, want %v", what, f.Machine, elfMachines[arch])
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: dynamically linked (has an interpreter)", what)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: has a symbol table: want -ldflags=-s", what)
	}
}

// runImage runs ref's entrypoint on the daemon, as the image's user, and returns its output.
func runImage(t *testing.T, c *client.Client, ref string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := imagerun.Image(ctx, c, ref, nil)
	if err != nil {
		t.Fatalf("run %s: %v", ref, err)
	}
	return out.Stdout + out.Stderr
}
