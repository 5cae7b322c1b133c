package frontend

import (
	"context"
	"fmt"
	"path"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
)

// readModuleFiles reads the build's go.mod, go.sum, go.work.sum and go.work files, by path,
// from the local source the download reads (llb.ModuleFilesSource, so that the build
// transfers the module files once): the converter gives the module versions download steps
// of their own, keyed on their go.sum lines.
//
// Its solve names imports, the build's cache imports where the frontend does not read its
// own image (Build): BuildKit starts fetching an imported cache's manifest when a solve that
// names it is first read, and it then serves every later solve of the build. Fetched early,
// it comes while the context transfers; fetched by the list, the first solve to need it, it
// held the list back (19 ms of a 0.65 s examples/multi build on a fresh builder).
func readModuleFiles(ctx context.Context, c client.Client, bc *dockerui.Client, dir string, imports []client.CacheOptionsEntry) (map[string][]byte, error) {
	st, err := bc.MainContext(ctx, goimagellb.ModuleFilesSource(dir)...)
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	ref, err := solveState(ctx, c, *st, imports)
	if err != nil {
		return nil, fmt.Errorf("load go.mod and go.sum: %w", err)
	}
	files := map[string][]byte{}
	if ref == nil {
		return files, nil
	}
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
		if err != nil {
			return fmt.Errorf("list %s: %w", dir, err)
		}
		for _, e := range entries {
			p := path.Join(dir, e.Path)
			switch {
			case e.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case e.Path == "go.mod" || e.Path == "go.sum" || e.Path == "go.work.sum" || e.Path == "go.work":
				data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: p})
				if err != nil {
					return fmt.Errorf("read %s: %w", p, err)
				}
				files[p] = data
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return nil, fmt.Errorf("read the module files: %w", err)
	}
	return files, nil
}
