package frontend

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sync"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
)

// maxHeaderFiles bounds the Go files whose import headers the frontend reads: past it, the
// list step reads the build context, as it would without the headers.
const maxHeaderFiles = 5000

// readImportHeaders reads the import headers (goimagellb.ImportHeader) of the Go files of
// the module directory dir in the build context src, by path: the list step then reads them
// instead of the context (goimagellb.Options.ImportHeaders). The frontend solves the context
// the build reads, so it transfers once. Nil, with no error, means the list should read the
// context: a symbolic link, which go list may follow where the headers would not, or more
// than maxHeaderFiles files.
func readImportHeaders(ctx context.Context, c client.Client, src llb.State, dir string) (map[string][]byte, error) {
	ref, err := solveState(ctx, c, src)
	if err != nil {
		return nil, fmt.Errorf("load the build context: %w", err)
	}
	if ref == nil {
		return nil, nil
	}
	var names []string
	var walk func(dir string) (ok bool, err error)
	walk = func(dir string) (bool, error) {
		entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
		if err != nil {
			return false, fmt.Errorf("list %s: %w", dir, err)
		}
		for _, e := range entries {
			p := path.Join(dir, e.Path)
			switch mode := fs.FileMode(e.Mode); {
			case mode&fs.ModeSymlink != 0:
				return false, nil
			case mode.IsDir():
				if !goimagellb.ListedDir(e.Path) {
					continue
				}
				if ok, err := walk(p); !ok || err != nil {
					return ok, err
				}
			case mode.IsRegular() && goimagellb.ListedGoFile(e.Path):
				if names = append(names, p); len(names) > maxHeaderFiles {
					return false, nil
				}
			}
		}
		return true, nil
	}
	ok, err := walk(path.Join(".", dir))
	if err != nil || !ok {
		return nil, err
	}
	headers := make(map[string][]byte, len(names))
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, name := range names {
		g.Go(func() error {
			data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
			if err != nil {
				return fmt.Errorf("read %s: %w", name, err)
			}
			h := goimagellb.ImportHeader(data)
			mu.Lock()
			headers[name] = h
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return headers, nil
}
