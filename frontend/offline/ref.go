package offline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// Ref is a solved result: the files of a local source or an image, or none for the graph of
// a build.
type Ref struct {
	// Definition is what was solved.
	Definition *pb.Definition
	files      fs.FS
	patterns   []string
	// computed is a result no source op gives (an exec, a file op, a merge): the offline
	// gateway runs nothing, so reading it is unsupported, not a missing file.
	computed bool
	onRead   func() // tells the client that a file of this result was asked for
}

var _ client.Reference = (*Ref)(nil)

// errNotRun is what reading a computed result returns: a caller that can do without the
// files (the converter, without the dependency list) tells it with errors.ErrUnsupported.
var errNotRun = fmt.Errorf("offline gateway: the result of a step that runs: %w", errors.ErrUnsupported)

func (r *Ref) ToState() (llb.State, error) {
	return llb.State{}, errors.New("offline gateway: ToState")
}

func (r *Ref) Evaluate(context.Context) error { return nil }

// read tells the client that a file of this result was asked for, and fails for a result
// the offline gateway did not compute.
func (r *Ref) read() error {
	r.onRead()
	if r.computed {
		return errNotRun
	}
	return nil
}

// open checks that the local source transferred name.
func (r *Ref) open(name string) (string, error) {
	if err := r.read(); err != nil {
		return "", err
	}
	name = strings.TrimPrefix(path.Clean("/"+name), "/") // fs.FS names are relative
	if r.files == nil || !selected(r.patterns, name) {
		return "", &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return name, nil
}

func (r *Ref) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	name, err := r.open(req.Filename)
	if err != nil {
		return nil, err
	}
	dt, err := fs.ReadFile(r.files, name)
	if err != nil {
		return nil, err
	}
	if rg := req.Range; rg != nil {
		dt = dt[min(rg.Offset, len(dt)):]
		dt = dt[:min(rg.Length, len(dt))]
	}
	return dt, nil
}

func (r *Ref) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	name, err := r.open(req.Path)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(r.files, name)
	if err != nil {
		return nil, err
	}
	return &fstypes.Stat{Path: fi.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()}, nil
}

func (r *Ref) ReadDir(_ context.Context, req client.ReadDirRequest) ([]*fstypes.Stat, error) {
	if err := r.read(); err != nil {
		return nil, err
	}
	if r.files == nil {
		return nil, &fs.PathError{Op: "readdir", Path: req.Path, Err: fs.ErrNotExist}
	}
	entries, err := fs.ReadDir(r.files, path.Clean(req.Path))
	if err != nil {
		return nil, err
	}
	var out []*fstypes.Stat
	for _, e := range entries {
		if !e.IsDir() && !selected(r.patterns, path.Join(path.Clean(req.Path), e.Name())) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, &fstypes.Stat{Path: e.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()})
	}
	return out, nil
}
