package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	"testing/fstest"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	capspb "github.com/moby/buildkit/util/apicaps/pb"
)

// capsWithout is every LLB capability this BuildKit knows but id, as a daemon without it
// reports them.
func capsWithout(id apicaps.CapID) *apicaps.CapSet {
	var caps []*capspb.APICap
	for _, c := range pb.Caps.All() {
		if apicaps.CapID(c.ID) != id {
			caps = append(caps, c)
		}
	}
	set := pb.Caps.CapSet(caps)
	return &set
}

// usedCaps are the LLB capabilities of every definition a build solved but dockerui's reads of
// local files (the Goimagefile, the .dockerignore), which come before goimage has a graph to
// check: a definition whose result is a local source.
func usedCaps(t *testing.T, c *fakeClient) []apicaps.CapID {
	t.Helper()
	var ids []apicaps.CapID
	for _, req := range c.Solved() {
		src, err := offline.ResultSource(req.Definition)
		if err != nil {
			t.Fatal(err)
		}
		if src != nil && strings.HasPrefix(src.Identifier, "local://") {
			continue
		}
		var def llb.Definition
		def.FromPB(req.Definition)
		for _, meta := range def.Metadata {
			for id := range meta.Caps {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// TestBuildChecksCaps builds projects that use every LLB capability goimage's graphs need
// (the generate step's merge and diff, the secret and SSH mounts of private modules) on a
// daemon lacking each one in turn: the build fails before any solve of the image, and the
// error names the capability, the BuildKit release that added it, the oldest BuildKit
// goimage supports, and the Goimagefile line of a step that needs it.
func TestBuildChecksCaps(t *testing.T) {
	private := dirFiles(t, depsDir)
	private[DefaultFilename].Data = []byte(strings.Replace(string(private[DefaultFilename].Data), "version: 1\n",
		"version: 1\ngoprivate: example.com/*\nprivate:\n  netrc: netrc\n  ssh: true\n", 1))
	projects := []struct {
		desc  string
		files fstest.MapFS
	}{
		{"testdata/projects/generate", dirFiles(t, "../testdata/projects/generate")},
		{"examples/deps with private modules", private},
	}
	// The capabilities of features the file asks for: each error points at the field.
	located := map[apicaps.CapID]bool{pb.CapMergeOp: true, pb.CapDiffOp: true, pb.CapExecMountSecret: true, pb.CapExecMountSSH: true, pb.CapExecMountCache: true}
	tested := map[apicaps.CapID]bool{}
	for _, p := range projects {
		full := newFakeClientFiles(p.files, nil)
		build(t, full)
		for _, id := range usedCaps(t, full) {
			if _, ok := capReleases[id]; !ok {
				t.Errorf("%s: the graph uses %s, which capReleases does not date", p.desc, id)
			}
			if tested[id] {
				continue
			}
			tested[id] = true
			t.Run(p.desc+" without "+string(id), func(t *testing.T) {
				c := newFakeClientFiles(p.files, nil)
				c.LLBCaps = capsWithout(id)
				_, err := Build(context.Background(), c)
				if slices.Contains(usedCaps(t, c), id) {
					t.Errorf("a definition needing %s reached the daemon", id)
				}
				if err == nil {
					// BuildKit's llb fell back (it sets PATH itself without
					// exec.meta.setsdefaultpath); the check above proves it.
					if located[id] {
						t.Errorf("Build succeeded without %s", id)
					}
					return
				}
				want := []string{string(id), "goimage supports BuildKit " + OldestBuildKit}
				if strings.Contains(err.Error(), "this BuildKit lacks") {
					want = append(want, "BuildKit "+capReleases[id])
				} // else dockerui refused the daemon first, naming the version in its own words
				for _, w := range want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				ranges := errorRanges(t, err, string(p.files[DefaultFilename].Data))
				if located[id] && len(ranges) == 0 {
					t.Errorf("error %q points at no Goimagefile line", err)
				}
			})
		}
	}
	for id := range located {
		if !tested[id] {
			t.Errorf("no project used %s", id)
		}
	}
}
