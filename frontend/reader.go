package frontend

import (
	"context"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
)

// stateReader solves states of the build ahead of its definition and reads their files, as
// the converter asks (llb.StateReader): with the build's cache imports, so that a fresh
// builder reads what an earlier build exported, its --no-cache, and the Goimagefile ranges
// of its ops, so that a step that fails there points at its line.
type stateReader struct {
	c            client.Client
	cacheImports []client.CacheOptionsEntry
	sm           *llb.SourceMap
	opts         []llb.ConstraintsOpt

	// marshalMu makes the reads marshal one at a time: the states read side by side share
	// ops, and marshalling an exec op sorts its mounts in place.
	marshalMu sync.Mutex
}

func (r *stateReader) ReadFile(ctx context.Context, st llb.State, name string) ([]byte, error) {
	r.marshalMu.Lock()
	def, err := marshal(ctx, r.c, st, r.sm, "LLB for "+name, r.opts...)
	r.marshalMu.Unlock()
	if err != nil {
		return nil, err
	}
	res, err := r.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: r.cacheImports})
	if err != nil {
		return nil, err
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	if ref == nil {
		return nil, fmt.Errorf("read %s: an empty result", name)
	}
	data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}
