package frontend

import (
	"runtime"
	"strings"
	"testing"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestEarlyCacheImports checks which early solve names the build's cache imports, so that
// BuildKit fetches an imported cache's manifest while the context transfers: the read of
// the frontend's own image, where the frontend reads it for its helper, which the conversion
// alone waits for; else the read of the module files. A build importing no cache names none.
func TestEarlyCacheImports(t *testing.T) {
	const frontendRef = "docker.io/goimage/frontend:1"
	cache := []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": "example.com/cache"}}}
	imports := `[{"Type":"registry","Attrs":{"ref":"example.com/cache"}}]`
	native := ocispecs.Platform{OS: "linux", Architecture: runtime.GOARCH}
	tests := []struct {
		desc         string
		opts         map[string]string
		wantFrontend [][]client.CacheOptionsEntry // of the reads of the frontend's image
		wantModules  [][]client.CacheOptionsEntry // of the reads of the module files
	}{
		{"no cache import", map[string]string{frontendSourceKey: frontendRef}, [][]client.CacheOptionsEntry{nil}, [][]client.CacheOptionsEntry{nil}},
		{"the frontend's image read", map[string]string{frontendSourceKey: frontendRef, "cache-imports": imports}, [][]client.CacheOptionsEntry{cache}, [][]client.CacheOptionsEntry{nil}},
		{"no frontend image", map[string]string{"cache-imports": imports}, nil, [][]client.CacheOptionsEntry{cache}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClient(t, depsDir, tt.opts)
			c.Platform = native
			c.Images[frontendRef] = offline.Image{Digest: digest.FromString("frontend")}
			build(t, c)
			var gotFrontend, gotModules [][]client.CacheOptionsEntry
			for _, req := range c.Read() {
				src, err := offline.ResultSource(req.Definition)
				if err != nil || src == nil {
					continue
				}
				switch {
				case strings.HasPrefix(src.Identifier, "docker-image://"+frontendRef+"@"):
					gotFrontend = append(gotFrontend, req.CacheImports)
				case src.Attrs[pb.AttrSharedKeyHint] == "goimage-module-files":
					gotModules = append(gotModules, req.CacheImports)
				}
			}
			if diff := cmp.Diff(gotFrontend, tt.wantFrontend); diff != "" {
				t.Errorf("cache imports of the frontend image's solves read (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(gotModules, tt.wantModules); diff != "" {
				t.Errorf("cache imports of the module files' solves read (-got +want):\n%s", diff)
			}
		})
	}
}
