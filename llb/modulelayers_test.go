package llb

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	capspb "github.com/moby/buildkit/util/apicaps/pb"
)

// goSumFor is a go.sum holding a zip and a go.mod line for each of zips and a go.mod line for
// each of mods, all PATH@VERSION, with hashes made from the names.
func goSumFor(zips, mods []string) map[string][]byte {
	var b strings.Builder
	for _, m := range zips {
		p, v, _ := strings.Cut(m, "@")
		b.WriteString(p + " " + v + " h1:zip-" + m + "=\n")
		b.WriteString(p + " " + v + "/go.mod h1:mod-" + m + "=\n")
	}
	for _, m := range mods {
		p, v, _ := strings.Cut(m, "@")
		b.WriteString(p + " " + v + "/go.mod h1:mod-" + m + "=\n")
	}
	return map[string][]byte{"go.sum": []byte(b.String())}
}

func moduleLayersOpts(sums map[string][]byte) Options {
	return Options{BuildPlatform: amd64, Images: golangImages(defaultPath), ModuleFiles: sums}
}

// TestModuleLayers checks the module download steps: one per version with a zip line, keyed
// on that version's go.sum lines (its arguments), one for the versions named only by their
// go.mod, their layers merged into the module cache every go command reads.
func TestModuleLayers(t *testing.T) {
	sums := goSumFor([]string{"example.com/a@v1.0.0", "example.com/b@v1.2.0"}, []string{"example.com/a@v0.9.0", "example.com/c@v0.1.0"})
	_, g := convert(t, minimal, moduleLayersOpts(sums))
	if names := g.namedPrefix(downloadName); len(names) != 0 {
		t.Errorf("module layers and the single download step: %v", names)
	}
	fetch := []string{helperBin, "fetch", "-cache", modProxyDir, "--"}
	wantArgs := map[string][]string{
		"download example.com/a@v1.0.0":                          append(fetch, "example.com/a v1.0.0 h1:zip-example.com/a@v1.0.0=", "example.com/a v1.0.0/go.mod h1:mod-example.com/a@v1.0.0="),
		"download example.com/b@v1.2.0":                          append(fetch, "example.com/b v1.2.0 h1:zip-example.com/b@v1.2.0=", "example.com/b v1.2.0/go.mod h1:mod-example.com/b@v1.2.0="),
		"download the go.mod of example.com/a@v0.9.0 and 1 more": append(fetch, "example.com/a v0.9.0/go.mod h1:mod-example.com/a@v0.9.0=", "example.com/c v0.1.0/go.mod h1:mod-example.com/c@v0.1.0="),
	}
	merge := g.named("[internal] the module cache")
	if merge == nil || merge.op.GetMerge() == nil {
		t.Fatalf("module cache %v, want a merge", merge)
	}
	var merged []string
	for _, in := range merge.inputs() {
		merged = append(merged, in.name())
	}
	if diff := cmp.Diff(merged, []string{"download example.com/a@v1.0.0", "download example.com/b@v1.2.0", "download the go.mod of example.com/a@v0.9.0 and 1 more"}); diff != "" {
		t.Errorf("merged layers (-got +want):\n%s", diff)
	}
	for name, want := range wantArgs {
		n := g.named(name)
		if diff := cmp.Diff(n.exec().Meta.Args, want); diff != "" {
			t.Errorf("%s: args (-got +want):\n%s", name, diff)
		}
		if root, _ := n.mountSource("/"); root.name() != toolchainName {
			t.Errorf("%s runs on %v, want the toolchain layer", name, root)
		}
		if n.exec().Network == pb.NetMode_NONE {
			t.Errorf("%s has no network", name)
		}
		if _, ok := n.env()["GOCACHEPROG"]; ok || slices.Contains(n.mountDests(), goCache) {
			t.Errorf("%s mounts the build cache, which fetching modules never reads", name)
		}
	}
	compile := g.named("compile the dependencies of ./cmd/app linux/amd64")
	selected, _ := compile.mountSource(goModCache)
	if mc, _ := selected.mountSource(goModCache); mc == nil || mc.dgst != merge.dgst {
		t.Errorf("the dependency compile's modules are selected from %v, want the merge", mc)
	}
}

// fetchDigests are the digests of a conversion's module download steps by name, and the
// merge's inputs in order.
func fetchDigests(t *testing.T, sums map[string][]byte) (steps map[string]string, merged []string) {
	t.Helper()
	_, g := convert(t, minimal, moduleLayersOpts(sums))
	steps = map[string]string{}
	for _, n := range g.namedPrefix("download ") {
		steps[n.name()] = string(n.dgst)
	}
	for _, in := range g.named("[internal] the module cache").inputs() {
		merged = append(merged, string(in.dgst))
	}
	return steps, merged
}

// bumpDiff lists the download steps a bump left alone and those it changed, by name.
func bumpDiff(before, after map[string]string) (same, changed []string) {
	for name, d := range after {
		if before[name] == d {
			same = append(same, name)
		} else {
			changed = append(changed, name)
		}
	}
	slices.Sort(same)
	slices.Sort(changed)
	return same, changed
}

// TestModuleLayersBump checks what a bump changes: the bumped module's step and the merge that
// reads it, never another module's step, so that every other layer stays a cache hit.
func TestModuleLayersBump(t *testing.T) {
	before, mergedBefore := fetchDigests(t, goSumFor([]string{"example.com/a@v1.0.0", "example.com/b@v1.2.0", "example.com/d@v2.0.0"}, []string{"example.com/c@v0.1.0"}))
	after, mergedAfter := fetchDigests(t, goSumFor([]string{"example.com/a@v1.0.0", "example.com/b@v1.3.0", "example.com/d@v2.0.0"}, []string{"example.com/c@v0.1.0"}))
	same, changed := bumpDiff(before, after)
	if diff := cmp.Diff(same, []string{"download example.com/a@v1.0.0", "download example.com/d@v2.0.0", "download the go.mod of example.com/c@v0.1.0"}); diff != "" {
		t.Errorf("steps the bump left alone (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(changed, []string{"download example.com/b@v1.3.0"}); diff != "" {
		t.Errorf("steps the bump changed (-got +want):\n%s", diff)
	}
	var mergeChanged []int
	for i := range mergedAfter {
		if mergedBefore[i] != mergedAfter[i] {
			mergeChanged = append(mergeChanged, i)
		}
	}
	if diff := cmp.Diff(mergeChanged, []int{1}); diff != "" {
		t.Errorf("merge inputs the bump changed (-got +want):\n%s", diff)
	}
}

// TestModuleLayersBuildVersions checks that a version go.sum names by its zip but go.mod
// neither requires nor replaces to (one a bump left behind, a test dependency of a
// dependency) downloads its go.mod alone, where go.mod's go line (1.17 or later) says it
// requires every module the build reads; and that an older go line, or flags under which the
// go command may read go.mod otherwise, download every zip.
func TestModuleLayersBuildVersions(t *testing.T) {
	goMod := "module example.com/app\n\ngo %s\n\nrequire (\n\texample.com/a v1.1.0\n\texample.com/b v1.2.0\n)\n\nreplace example.com/b v1.2.0 => example.com/c v0.3.0\n"
	sums := func(goVersion string) map[string][]byte {
		files := goSumFor([]string{"example.com/a@v1.0.0", "example.com/a@v1.1.0", "example.com/c@v0.3.0", "example.com/t@v1.0.0"}, []string{"example.com/b@v1.2.0", "example.com/x@v0.1.0"})
		files["go.mod"] = []byte(fmt.Sprintf(goMod, goVersion))
		return files
	}
	fetch := []string{helperBin, "fetch", "-cache", modProxyDir, "--"}
	zip := func(m string) []string {
		p, v, _ := strings.Cut(m, "@")
		return []string{p + " " + v + " h1:zip-" + m + "=", p + " " + v + "/go.mod h1:mod-" + m + "="}
	}
	mod := func(m string) string {
		p, v, _ := strings.Cut(m, "@")
		return p + " " + v + "/go.mod h1:mod-" + m + "="
	}
	every := map[string][]string{
		"download example.com/a@v1.0.0":                          zip("example.com/a@v1.0.0"),
		"download example.com/a@v1.1.0":                          zip("example.com/a@v1.1.0"),
		"download example.com/c@v0.3.0":                          zip("example.com/c@v0.3.0"),
		"download example.com/t@v1.0.0":                          zip("example.com/t@v1.0.0"),
		"download the go.mod of example.com/b@v1.2.0 and 1 more": {mod("example.com/b@v1.2.0"), mod("example.com/x@v0.1.0")},
	}
	tests := []struct {
		desc, goVersion, goimagefile string
		builderGoflags               string              // the builder image's GOFLAGS, which the spec cannot refuse
		want                         map[string][]string // the download steps' go.sum lines
	}{
		{"go 1.21", "1.21", minimal, "", map[string][]string{
			"download example.com/a@v1.1.0":                          zip("example.com/a@v1.1.0"),
			"download example.com/c@v0.3.0":                          zip("example.com/c@v0.3.0"),
			"download the go.mod of example.com/a@v1.0.0 and 3 more": {mod("example.com/a@v1.0.0"), mod("example.com/b@v1.2.0"), mod("example.com/t@v1.0.0"), mod("example.com/x@v0.1.0")},
		}},
		{"go 1.16", "1.16", minimal, "", every},
		// The go command may add requirements to go.mod, or reads another one.
		{"GOFLAGS -mod=mod", "1.21", minimal + "goflags: -mod=mod\n", "", every},
		{"the builder's GOFLAGS -modfile", "1.21", minimal, "-modfile=alt.mod", every},
		{"a binary's -mod=mod", "1.21", "version: 1\nbinaries:\n  - main: ./cmd/app\n    flags: [-mod=mod]\n", "", every},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := moduleLayersOpts(sums(tc.goVersion))
			if tc.builderGoflags != "" {
				img := opt.Images.(*fakeImages).configs["golang:1.26"]
				img.Config.Env = append(img.Config.Env, "GOFLAGS="+tc.builderGoflags)
			}
			_, g := convert(t, tc.goimagefile, opt)
			got := map[string][]string{}
			for _, n := range g.namedPrefix("download ") {
				args := n.exec().Meta.Args
				if !slices.Equal(args[:len(fetch)], fetch) {
					t.Fatalf("%s runs %q, want %q and go.sum lines", n.name(), args, fetch)
				}
				got[n.name()] = args[len(fetch):]
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("download steps (-got +want):\n%s", diff)
			}
		})
	}
}

// TestModuleLayerGroups checks a project of more modules than moduleLayerGroups: at most that
// many download steps for the zips, each module in exactly one, and a bump of one module
// changes exactly the step that holds it.
func TestModuleLayerGroups(t *testing.T) {
	var zips []string
	for i := range 40 {
		zips = append(zips, fmt.Sprintf("example.com/m%02d@v1.0.%d", i, i))
	}
	sums := goSumFor(zips, []string{"example.com/old@v0.1.0"})
	_, g := convert(t, minimal, moduleLayersOpts(sums))
	held := map[string]int{}
	steps := 0
	for _, n := range g.namedPrefix("download ") {
		if strings.HasPrefix(n.name(), "download the go.mod of ") {
			continue
		}
		steps++
		for _, arg := range n.exec().Meta.Args[5:] {
			if f := strings.Fields(arg); !strings.HasSuffix(f[1], "/go.mod") {
				held[f[0]+"@"+f[1]]++
			}
		}
	}
	if steps > moduleLayerGroups || steps < 2 {
		t.Errorf("%d download steps for 40 modules, want 2 to %d", steps, moduleLayerGroups)
	}
	for _, m := range zips {
		if held[m] != 1 {
			t.Errorf("%s is in %d download steps, want 1", m, held[m])
		}
	}

	bumped := slices.Clone(zips)
	bumped[17] = "example.com/m17@v1.1.0"
	bumpedSums := goSumFor(bumped, []string{"example.com/old@v0.1.0"})
	before, _ := fetchDigests(t, sums)
	after, _ := fetchDigests(t, bumpedSums)
	same, changed := bumpDiff(before, after)
	if len(changed) != 1 || len(same) != len(after)-1 {
		t.Fatalf("the bump changed %q and left %d of %d steps alone, want one changed", changed, len(same), len(after))
	}
	_, ga := convert(t, minimal, moduleLayersOpts(bumpedSums))
	n := ga.named(changed[0])
	if !slices.ContainsFunc(n.exec().Meta.Args, func(a string) bool { return strings.HasPrefix(a, "example.com/m17 ") }) {
		t.Errorf("the bump changed %q, which does not hold example.com/m17", changed[0])
	}
}

// TestModuleLayersHostileGoSum checks that go.sum lines whose path or version could read as
// a flag or a path outside the module cache fail the conversion, at the module's field.
func TestModuleLayersHostileGoSum(t *testing.T) {
	for _, line := range []string{
		"-cache=/tmp v1.0.0 h1:x=",
		"example.com/a -v1.0.0 h1:x=",
		"example.com/../../etc v1.0.0 h1:x=",
		"/etc v1.0.0 h1:x=",
		"example.com/a v1.0.0/../x h1:x=",
		"example.com/a v1.0.0 md5:x",
		"example.com/a v1.0.0",
	} {
		_, err := Convert(t.Context(), resolve(t, parse(t, minimal), nil), moduleLayersOpts(map[string][]byte{"go.sum": []byte(line + "\n")}))
		if err == nil || !strings.Contains(err.Error(), "go.sum:1") {
			t.Errorf("go.sum line %q: %v, want an error naming go.sum:1", line, err)
		}
	}
}

// TestModuleLayersFallback checks where one step downloads every module: no module files
// known, a go.sum missing or behind go.mod (its go mod download then reports the module it
// cannot fetch), a go.work workspace, credentials, a vendored module (no download).
func TestModuleLayersFallback(t *testing.T) {
	sums := goSumFor([]string{"example.com/a@v1.0.0"}, nil)
	workspace := goSumFor([]string{"example.com/a@v1.0.0"}, nil)
	workspace["go.work"] = []byte("go 1.22\n\nuse .\n")
	summed := goSumFor([]string{"example.com/a@v1.0.0"}, nil)
	summed["go.mod"] = []byte("module example.com/app\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n")
	behind := goSumFor([]string{"example.com/a@v1.0.0"}, nil)
	behind["go.mod"] = []byte("module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.1.0\n)\n")
	noGoSum := map[string][]byte{"go.mod": []byte("module example.com/app\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n")}
	for _, tc := range []struct {
		desc, goimagefile string
		sums              map[string][]byte
		want              []string // the download steps
	}{
		{desc: "go.sum known", goimagefile: minimal, sums: sums, want: []string{"download example.com/a@v1.0.0"}},
		{desc: "go.sum names every requirement of go.mod", goimagefile: minimal, sums: summed, want: []string{"download example.com/a@v1.0.0"}},
		{desc: "go.sum lacks a requirement of go.mod", goimagefile: minimal, sums: behind, want: []string{downloadName}},
		{desc: "no go.sum for a go.mod with requirements", goimagefile: minimal, sums: noGoSum, want: []string{downloadName}},
		{desc: "go.sum unknown", goimagefile: minimal, want: []string{downloadName}},
		{desc: "a workspace", goimagefile: minimal, sums: workspace, want: []string{downloadName}},
		{desc: "a netrc secret", goimagefile: minimal + "private: {netrc: gitlab}\n", sums: sums, want: []string{downloadName}},
		{desc: "vendored", goimagefile: minimal + "vendor: true\n", sums: sums},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convert(t, tc.goimagefile, moduleLayersOpts(tc.sums))
			var got []string
			for _, n := range append(g.namedPrefix("download "), g.namedPrefix(downloadName)...) {
				got = append(got, n.name())
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("download steps (-got +want):\n%s", diff)
			}
		})
	}
}

// TestModuleLayersWithoutMergeOp checks the fallback for a daemon without MergeOp (Docker
// Engine's graphdriver image store): one step downloads every module, and no op needs the
// capability.
func TestModuleLayersWithoutMergeOp(t *testing.T) {
	caps := pb.Caps.CapSet(slices.DeleteFunc(pb.Caps.All(), func(c *capspb.APICap) bool {
		return c.ID == string(pb.CapMergeOp) || c.ID == string(pb.CapDiffOp)
	}))
	opt := moduleLayersOpts(goSumFor([]string{"example.com/a@v1.0.0"}, nil))
	opt.LLBCaps = &caps
	res, g := convert(t, minimal, opt)
	if names := g.namedPrefix("download "); len(names) != 0 {
		t.Errorf("module layers without MergeOp: %v", names)
	}
	g.named(downloadName)
	def, err := res.State.Marshal(t.Context(), llb.WithCaps(caps))
	if err != nil {
		t.Fatalf("marshal with the daemon's caps: %v", err)
	}
	for _, m := range def.Metadata {
		if m.Caps[pb.CapMergeOp] || m.Caps[pb.CapDiffOp] {
			t.Errorf("an op needs MergeOp or DiffOp: %v", m.Description)
		}
	}
}
