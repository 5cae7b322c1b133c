package frontend

import (
	"testing"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
)

// TestModuleFilesCacheImports checks that the read of the module files, the build's first
// solve, carries the build's cache imports, so that BuildKit fetches an imported cache's
// manifest while the context transfers, and that a build importing none names none.
func TestModuleFilesCacheImports(t *testing.T) {
	cache := []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": "example.com/cache"}}}
	tests := []struct {
		desc string
		opts map[string]string
		want []client.CacheOptionsEntry
	}{
		{"no cache import", map[string]string{}, nil},
		{"a cache import", map[string]string{"cache-imports": `[{"Type":"registry","Attrs":{"ref":"example.com/cache"}}]`}, cache},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := newFakeClient(t, "../examples/deps", tt.opts)
			build(t, c)
			var got [][]client.CacheOptionsEntry
			for _, req := range c.Read() {
				src, err := offline.ResultSource(req.Definition)
				if err == nil && src != nil && src.Attrs[pb.AttrSharedKeyHint] == "goimage-module-files" {
					got = append(got, req.CacheImports)
				}
			}
			if diff := cmp.Diff(got, [][]client.CacheOptionsEntry{tt.want}); diff != "" {
				t.Errorf("cache imports of the module files' solves read (-got +want):\n%s", diff)
			}
		})
	}
}
