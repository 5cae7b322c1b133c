package frontend

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"sync"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"golang.org/x/sync/errgroup"
)

// Bounds of what the frontend reads for the import headers: past them, the list step reads
// the build context, as it would without the headers.
const (
	maxHeaderDirs  = 2000
	maxHeaderFiles = 5000
	maxHeaderBytes = 8 << 20 // of headers, which go into the build's definition
	// headerPrefix is how much of a Go file is read first: a header almost always ends
	// within it, and the gateway refuses to send a file of more than 16 MB whole.
	headerPrefix = 64 << 10
)

// readImportHeaders reads the import headers (goimagellb.ImportHeader) of the Go files of
// the module directory dir in the build context src, by path: the list step then reads them
// instead of the context (goimagellb.Options.ImportHeaders). The frontend solves the context
// the build reads, so it transfers once. Nil means the list should read the context:
//   - a vendor directory, which the go command uses without vendor: true;
//   - a go.work above dir, which the go command finds by walking up;
//   - an assembly file, which may include from another directory (goimagellb.binarySource);
//   - a symbolic link, which the go command may follow where the headers would not;
//   - more than the bounds above, or an error, which the build then meets and reports itself.
func readImportHeaders(ctx context.Context, c client.Client, src llb.State, dir string) map[string][]byte {
	ref, err := solveState(ctx, c, src, nil)
	if err != nil || ref == nil {
		return nil
	}
	root := path.Join(".", dir)
	for d := path.Dir(root); root != "."; d = path.Dir(d) {
		if _, err := ref.StatFile(ctx, client.StatRequest{Path: path.Join(d, "go.work")}); err == nil {
			return nil
		}
		if d == "." {
			break
		}
	}
	type goFile struct {
		name string
		size int64
	}
	var files []goFile
	dirs := 0
	var walk func(dir string) bool
	walk = func(dir string) bool {
		if dirs++; dirs > maxHeaderDirs {
			return false
		}
		entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
		if err != nil {
			return false
		}
		for _, e := range entries {
			p := path.Join(dir, e.Path)
			switch mode := fs.FileMode(e.Mode); {
			case mode&fs.ModeSymlink != 0:
				return false
			case mode.IsDir():
				if dir == root && e.Path == "vendor" {
					return false
				}
				if goimagellb.ListedDir(e.Path) && !walk(p) {
					return false
				}
			case strings.HasSuffix(e.Path, ".s") || strings.HasSuffix(e.Path, ".S"):
				return false
			case mode.IsRegular() && goimagellb.ListedGoFile(e.Path):
				if files = append(files, goFile{p, e.Size}); len(files) > maxHeaderFiles {
					return false
				}
			}
		}
		return true
	}
	if !walk(root) {
		return nil
	}
	headers := make(map[string][]byte, len(files))
	var mu sync.Mutex
	total := 0
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, f := range files {
		g.Go(func() error {
			h, err := readImportHeader(ctx, ref, f.name, f.size)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if total += len(h); total > maxHeaderBytes {
				return errTooMuch
			}
			headers[f.name] = h
			return nil
		})
	}
	if g.Wait() != nil {
		return nil
	}
	return headers
}

// errTooMuch stops reading headers past maxHeaderBytes.
var errTooMuch = errors.New("import headers: more than maxHeaderBytes")

// readImportHeader reads the import header of the Go file name, of size bytes: a prefix of
// it first, the whole file when the header may go on past the prefix.
func readImportHeader(ctx context.Context, ref client.Reference, name string, size int64) ([]byte, error) {
	if size > headerPrefix {
		data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name, Range: &client.FileRange{Length: headerPrefix}})
		if err != nil {
			return nil, err
		}
		if h, ok := goimagellb.ImportHeaderPrefix(data); ok {
			return h, nil
		}
	}
	data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
	if err != nil {
		return nil, err
	}
	return goimagellb.ImportHeader(data), nil
}
