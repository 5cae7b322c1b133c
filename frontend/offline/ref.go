package offline

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// Ref is a solved result: the files of a local source, or none for the graph of a build.
type Ref struct {
	// Definition is what was solved.
	Definition *pb.Definition
	files      fs.FS
	patterns   []string
}

var _ client.Reference = (*Ref)(nil)

func (r *Ref) ToState() (llb.State, error) {
	return llb.State{}, errors.New("offline gateway: ToState")
}

func (r *Ref) Evaluate(context.Context) error { return nil }

// open checks that the local source transferred name.
func (r *Ref) open(name string) (string, error) {
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
