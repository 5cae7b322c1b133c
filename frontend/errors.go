package frontend

import (
	"errors"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

// withSource attaches the Goimagefile positions of spec errors to err, so that buildctl and
// buildx print the lines at fault under the message.
func withSource(err error, sm *llb.SourceMap) error {
	var ranges []*pb.Range
	var list spec.Errors
	var one *spec.FieldError
	switch {
	case errors.As(err, &list):
		for _, fe := range list {
			ranges = appendRange(ranges, fe.Range())
		}
	case errors.As(err, &one):
		ranges = appendRange(ranges, one.Range())
	}
	return attachRanges(err, sm, ranges)
}

// attachRanges attaches Goimagefile ranges to err; with none, err is returned as it is.
func attachRanges(err error, sm *llb.SourceMap, ranges []*pb.Range) error {
	if sm == nil || len(ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{
		Info: &pb.SourceInfo{
			Data:       sm.Data,
			Filename:   sm.Filename,
			Language:   sm.Language,
			Definition: sm.Definition.ToPB(),
		},
		Ranges: ranges,
	})
}

func appendRange(ranges []*pb.Range, r spec.Range) []*pb.Range {
	if r.Start.Line == 0 {
		return ranges
	}
	return append(ranges, goimagellb.Range(r))
}
