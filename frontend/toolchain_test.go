package frontend

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestToolchainPublished checks that the frontend looks only for toolchains it is published
// with: its own Go version, a build platform of toolchainPlatforms.
func TestToolchainPublished(t *testing.T) {
	own := strings.TrimPrefix(runtime.Version(), "go")
	tests := []struct {
		desc    string
		version string
		build   ocispecs.Platform
		want    bool
	}{
		{"the frontend's version, amd64", own, ocispecs.Platform{OS: "linux", Architecture: "amd64"}, true},
		{"the frontend's version, arm64", own, ocispecs.Platform{OS: "linux", Architecture: "arm64"}, true},
		{"another Go version", own + "1", ocispecs.Platform{OS: "linux", Architecture: "amd64"}, false},
		{"a platform with no image", own, ocispecs.Platform{OS: "linux", Architecture: "s390x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := toolchainPublished(tc.version, tc.build); got != tc.want {
				t.Errorf("toolchainPublished(%q, %v) = %v, want %v", tc.version, tc.build, got, tc.want)
			}
		})
	}
}

// TestBuildToolchain checks that a build whose builder is the golang image of the frontend's
// Go version looks up the published toolchain once and runs its go commands on it, reading
// nothing of the builder image but its configuration; and that a named context standing in
// for the builder, whose GOROOT may be anything, keeps the builder's.
func TestBuildToolchain(t *testing.T) {
	const golang = "docker.io/library/golang:1.26"
	fork := "docker-image://example.com/golang:fork"
	source := map[string]string{frontendSourceKey: "goimage/frontend:1"}
	tests := []struct {
		desc          string
		opts          map[string]string
		goimagefile   string // added to examples/deps' Goimagefile
		wantLookup    bool
		wantToolchain bool
		wantBuilder   string // the builder image the graph reads, "" for none
	}{
		{"published", source, "", true, true, ""},
		{"no frontend source", map[string]string{}, "", false, false, "docker-image://" + golang},
		{"a named context for the builder", map[string]string{frontendSourceKey: "goimage/frontend:1", "context:golang:1.26": fork}, "", false, false, fork},
		// Neither runs on the toolchain: prefetch must not look it up either.
		{"cgo", source, "cgo: true\n", false, false, "docker-image://" + golang},
		{"an explicit builder", source, "builder: golang:1.26\n", false, false, "docker-image://" + golang},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c, _ := stdlibClient(t, tc.opts)
			files := c.Locals["context"].(fstest.MapFS)
			files["Goimagefile"] = &fstest.MapFile{Data: append(slices.Clone(files["Goimagefile"].Data), tc.goimagefile...), Mode: 0o644}
			version := strings.TrimPrefix(runtime.Version(), "go")
			toolchain := "docker.io/goimage/frontend-toolchain:" + version + "-linux-" + runtime.GOARCH
			c.Images[toolchain] = offline.Image{Digest: digest.FromString(toolchain), Files: fstest.MapFS{"usr/local/go/VERSION": &fstest.MapFile{}}}
			c.Images[strings.TrimPrefix(fork, "docker-image://")] = c.Images[golang]
			// distroless under cgo: the base with glibc.
			c.Images["gcr.io/distroless/base-debian12:nonroot"] = c.Images["gcr.io/distroless/static-debian12:nonroot"]
			res := build(t, c)

			lookups := 0
			for _, l := range c.Lookups() {
				if strings.HasPrefix(l, toolchain+" ") {
					lookups++
				}
			}
			if want := map[bool]int{true: 1}[tc.wantLookup]; lookups != want {
				t.Errorf("%d lookups of %s, want %d: %v", lookups, toolchain, want, c.Lookups())
			}
			vertices, _ := graphOf(t, res.Ref)
			var gotToolchain bool
			var builders []string
			for _, src := range imageSources(vertices) {
				id, _, _ := strings.Cut(src, " ")
				switch {
				case strings.HasPrefix(id, "docker-image://"+toolchain+"@"):
					gotToolchain = true
				case strings.HasPrefix(id, "docker-image://"+golang), strings.HasPrefix(id, fork):
					builders = append(builders, strings.Split(id, "@")[0])
				}
			}
			if gotToolchain != tc.wantToolchain {
				t.Errorf("the graph reads the published toolchain: %v, want %v", gotToolchain, tc.wantToolchain)
			}
			var wantBuilders []string
			if tc.wantBuilder != "" {
				wantBuilders = []string{tc.wantBuilder}
			}
			if diff := cmp.Diff(slices.Compact(builders), wantBuilders); diff != "" {
				t.Errorf("builder images the graph reads (-got +want):\n%s", diff)
			}
		})
	}
}
