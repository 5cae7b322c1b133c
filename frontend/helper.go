package frontend

import (
	"context"
	"path"
	"runtime"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// frontendSourceKey is the gateway option naming the image the frontend runs from (the
// `# syntax=` line's reference, or buildctl's --opt source=).
const frontendSourceKey = "source"

// prebuiltHelper is goimage-helper from the frontend's own image, which carries one built for
// the platform it runs on at llb.HelperDir(): with it, a cold build compiles nothing before
// its first go command. It is nil, and the graph builds the helper, when the image is
// unknown (a frontend run some other way, as `goimage llb` runs it), when the build
// platform is another than the frontend's, or when the image has no helper of this
// frontend's source (a reference that moved to another release since the gateway read it).
//
// Its solve names imports, the build's cache imports or none.
func prebuiltHelper(ctx context.Context, c client.Client, imgs *images, build ocispecs.Platform, imports []client.CacheOptionsEntry) *goimagellb.PrebuiltHelper {
	if !readsOwnImage(c, build) {
		return nil
	}
	st, _, err := imgs.Image(ctx, c.BuildOpts().Opts[frontendSourceKey], build)
	if err != nil {
		return nil
	}
	ref, err := solveState(ctx, c, st, imports)
	if err != nil {
		return nil
	}
	dir := goimagellb.HelperDir()
	if _, err := ref.StatFile(ctx, client.StatRequest{Path: path.Join(dir, "goimage-helper")}); err != nil {
		return nil
	}
	return &goimagellb.PrebuiltHelper{State: st, Dir: dir}
}

// readsOwnImage reports whether prebuiltHelper reads the frontend's own image for a build on
// the build platform build: where the image is known and the platform is the frontend's.
func readsOwnImage(c client.Client, build ocispecs.Platform) bool {
	return c.BuildOpts().Opts[frontendSourceKey] != "" && build.OS == runtime.GOOS && build.Architecture == runtime.GOARCH
}
