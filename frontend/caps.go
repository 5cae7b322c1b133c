package frontend

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	digest "github.com/opencontainers/go-digest"
)

// OldestBuildKit is the oldest BuildKit goimage supports: Docker Engine 25.0's.
const OldestBuildKit = "v0.12.5"

// capReleases are the BuildKit releases that added the LLB capabilities goimage's graphs use
// (solver/pb/caps.go at each tag). Every one predates OldestBuildKit, so a daemon lacking one
// is older than goimage supports, with one exception: Docker Engine disables MergeOp and
// DiffOp on its graphdriver image store (moby/moby#45153). The converter reads the caps and
// downloads modules in one step there; only generate steps, which need both, are refused.
var capReleases = map[apicaps.CapID]string{
	pb.CapMergeOp:                    "v0.10.0",
	pb.CapDiffOp:                     "v0.10.0",
	pb.CapFileBase:                   "v0.5.0",
	pb.CapConstraints:                "v0.3.0",
	pb.CapPlatform:                   "v0.3.0",
	pb.CapMetaDescription:            "v0.3.0",
	pb.CapSourceImage:                "v0.3.0",
	pb.CapSourceLocal:                "v0.3.0",
	pb.CapSourceLocalSessionID:       "v0.3.0",
	pb.CapSourceLocalSharedKeyHint:   "v0.3.0",
	pb.CapSourceLocalIncludePatterns: "v0.3.0",
	pb.CapSourceLocalFollowPaths:     "v0.3.0",
	pb.CapSourceLocalDiffer:          "v0.9.0",
	pb.CapMetaIgnoreCache:            "v0.3.0",
	pb.CapExecMetaBase:               "v0.3.0",
	pb.CapExecMetaNetwork:            "v0.3.0",
	pb.CapExecMetaSetsDefaultPath:    "v0.3.0",
	pb.CapExecMountBind:              "v0.3.0",
	pb.CapExecMountSelector:          "v0.3.0",
	pb.CapExecMountCache:             "v0.3.0",
	pb.CapExecMountCacheSharing:      "v0.3.0",
	pb.CapExecMountSecret:            "v0.3.0",
	pb.CapExecMountSSH:               "v0.3.0",
	pb.CapExecMountContentCache:      "v0.13.0",
}

// missingCap is an LLB capability a graph needs and the daemon lacks, and the first op
// that needs it, the first one located in the Goimagefile if any is.
type missingCap struct {
	id     apicaps.CapID
	op     string
	ranges []*pb.Range
}

// checkCaps refuses a definition that needs an LLB capability the daemon lacks, before the
// daemon rejects one of its ops: the error names each capability with the BuildKit release
// that added it and the step that needs it, and carries that step's Goimagefile ranges.
func checkCaps(def *llb.Definition, caps *apicaps.CapSet, sm *llb.SourceMap) error {
	var missing []missingCap
	for _, dt := range def.Def {
		dgst := digest.FromBytes(dt)
		meta := def.Metadata[dgst]
		ids := make([]apicaps.CapID, 0, len(meta.Caps))
		for id := range meta.Caps {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if caps.Supports(id) == nil {
				continue
			}
			op := missingCap{id: id, op: meta.Description["llb.customname"], ranges: opRanges(def, dgst)}
			if op.op == "" {
				op.op = "a step without a name"
			}
			switch i := slices.IndexFunc(missing, func(m missingCap) bool { return m.id == id }); {
			case i < 0:
				missing = append(missing, op)
			case len(missing[i].ranges) == 0 && len(op.ranges) > 0:
				missing[i] = op
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var lines []string
	var ranges []*pb.Range
	for _, m := range missing {
		since := "a BuildKit newer than this one"
		if r, ok := capReleases[m.id]; ok {
			since = "BuildKit " + r
		}
		lines = append(lines, fmt.Sprintf("%s (in %s), needed by %q", m.id, since, m.op))
		ranges = append(ranges, m.ranges...)
	}
	err := fmt.Errorf("this BuildKit lacks LLB capabilities the build needs: %s; goimage supports BuildKit %s (Docker Engine 25.0) and later",
		strings.Join(lines, "; "), OldestBuildKit)
	return attachRanges(err, sm, ranges)
}

// opRanges are the Goimagefile ranges an op is located at.
func opRanges(def *llb.Definition, dgst digest.Digest) []*pb.Range {
	if def.Source == nil {
		return nil
	}
	var ranges []*pb.Range
	if locs := def.Source.Locations[dgst.String()]; locs != nil {
		for _, l := range locs.Locations {
			ranges = append(ranges, l.Ranges...)
		}
	}
	return ranges
}
