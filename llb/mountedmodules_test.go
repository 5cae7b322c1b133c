package llb

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
)

const listAmd64Name = "list the dependencies of ./cmd/app linux/amd64"

// listModuleCache is what the list step reads as its module cache: the op of its base, what
// that op does ("copy LAYER SRC DEST" or "mkdir DIR"), and each directory mounted onto it as
// "<layer name> <selector>".
func listModuleCache(t *testing.T, g *graph) (base *node, actions []string, mounts map[string]string) {
	t.Helper()
	list := g.named(listAmd64Name)
	base, _ = list.mountSource(goModCache)
	if m := list.mount(goModCache); !m.Readonly || m.ContentCache != pb.MountContentCache_OFF {
		t.Errorf("the list's module cache: read-only %v, content cache %v, want read-only and keyed on its step", m.Readonly, m.ContentCache)
	}
	for _, a := range base.file().Actions {
		switch {
		case a.GetCopy() != nil:
			from, _ := base.input(a.SecondaryInput)
			actions = append(actions, "copy "+from.name()+" "+a.GetCopy().Src+" "+a.GetCopy().Dest)
		case a.GetMkdir() != nil:
			actions = append(actions, "mkdir "+a.GetMkdir().Path)
		}
	}
	mounts = map[string]string{}
	for _, dest := range list.mountDests() {
		rel, ok := strings.CutPrefix(dest, goModCache+"/")
		if !ok {
			continue
		}
		m := list.mount(dest)
		if !m.Readonly || m.ContentCache != pb.MountContentCache_OFF {
			t.Errorf("%s: read-only %v, content cache %v, want read-only and keyed on its step", dest, m.Readonly, m.ContentCache)
		}
		from, _ := list.mountSource(dest)
		mounts[rel] = from.name() + " " + m.Selector
	}
	return base, actions, mounts
}

// TestListModules checks the list's module cache where the download steps make several
// layers: every layer's download directory copied into one layer (a module may have versions
// in two layers: a's zip in its own, a's older go.mod with the go.mod-only versions) and each
// tree mounted from its layer onto a directory made for it, so that no step links every file
// of every tree into a merge before the list can start.
func TestListModules(t *testing.T) {
	sums := goSumFor([]string{"example.com/a@v1.0.0", "example.com/b@v1.2.0"}, []string{"example.com/a@v0.9.0", "example.com/c@v0.1.0"})
	_, g := convert(t, minimal, moduleLayersOpts(sums))
	base, actions, mounts := listModuleCache(t, g)
	if got, want := base.name(), "[internal] the module cache's download directories"; got != want {
		t.Errorf("the list's module cache is %q, want %q", got, want)
	}
	wantActions := []string{
		"copy download example.com/a@v1.0.0 /cache/download /cache/download",
		"copy download example.com/b@v1.2.0 /cache/download /cache/download",
		"copy download the go.mod of example.com/a@v0.9.0 and 1 more /cache/download /cache/download",
		"mkdir /example.com/a@v1.0.0",
		"mkdir /example.com/b@v1.2.0",
	}
	if diff := cmp.Diff(actions, wantActions); diff != "" {
		t.Errorf("the base's actions (-got +want):\n%s", diff)
	}
	wantMounts := map[string]string{
		"example.com/a@v1.0.0": "download example.com/a@v1.0.0 /example.com/a@v1.0.0",
		"example.com/b@v1.2.0": "download example.com/b@v1.2.0 /example.com/b@v1.2.0",
	}
	if diff := cmp.Diff(mounts, wantMounts); diff != "" {
		t.Errorf("trees mounted in the list's module cache (-got +want):\n%s", diff)
	}
	// With no graph to tell its modules, go build reads the same module cache.
	build := g.named("go build ./cmd/app linux/amd64")
	if mc, _ := build.mountSource(goModCache); mc == nil || mc.dgst != base.dgst {
		t.Errorf("go build reads the module cache %v, want the list's", mc)
	}
	for dir, want := range wantMounts {
		from, _ := build.mountSource(goModCache + "/" + dir)
		if got := from.name() + " " + build.mount(goModCache+"/"+dir).Selector; got != want {
			t.Errorf("go build mounts %q at %s, want %q", got, dir, want)
		}
	}
}

// TestListModulesBump: a bump changes the list's module cache by the bumped layer alone, and
// an escaped path (upper case) mounts where the go command looks for it.
func TestListModulesBump(t *testing.T) {
	_, before := convert(t, minimal, moduleLayersOpts(goSumFor([]string{"example.com/a@v1.0.0", "github.com/Foo/b@v1.2.0"}, nil)))
	_, after := convert(t, minimal, moduleLayersOpts(goSumFor([]string{"example.com/a@v1.0.0", "github.com/Foo/b@v1.3.0"}, nil)))
	_, _, mb := listModuleCache(t, before)
	_, actions, ma := listModuleCache(t, after)
	want := map[string]string{
		"example.com/a@v1.0.0":     "download example.com/a@v1.0.0 /example.com/a@v1.0.0",
		"github.com/!foo/b@v1.3.0": "download github.com/Foo/b@v1.3.0 /github.com/!foo/b@v1.3.0",
	}
	if diff := cmp.Diff(ma, want); diff != "" {
		t.Errorf("trees mounted after the bump (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(actions, []string{
		"copy download example.com/a@v1.0.0 /cache/download /cache/download",
		"copy download github.com/Foo/b@v1.3.0 /cache/download /cache/download",
		"mkdir /example.com/a@v1.0.0",
		"mkdir /github.com/!foo/b@v1.3.0",
	}); diff != "" {
		t.Errorf("the base's actions after the bump (-got +want):\n%s", diff)
	}
	layer := func(g *graph, dest string) string {
		n, _ := g.named(listAmd64Name).mountSource(dest)
		return string(n.dgst)
	}
	if a := goModCache + "/example.com/a@v1.0.0"; layer(before, a) != layer(after, a) {
		t.Errorf("the bump of b changed the layer a's tree comes from")
	}
	if mb["github.com/!foo/b@v1.2.0"] == "" {
		t.Errorf("before the bump, b's tree is not mounted: %v", mb)
	}
}

// TestListModulesOneLayer: with one download layer, the list reads it as it is.
func TestListModulesOneLayer(t *testing.T) {
	_, g := convert(t, minimal, moduleLayersOpts(goSumFor([]string{"example.com/a@v1.0.0"}, nil)))
	list := g.named(listAmd64Name)
	if mc, _ := list.mountSource(goModCache); mc == nil || mc.name() != "download example.com/a@v1.0.0" {
		t.Errorf("the list reads the module cache %v, want a's download layer", mc)
	}
	for _, dest := range list.mountDests() {
		if strings.HasPrefix(dest, goModCache+"/") {
			t.Errorf("the list mounts %s over a single layer", dest)
		}
	}
}
