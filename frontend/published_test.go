package frontend

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPublishedRef checks the references of the images published with the frontend: next to
// its source's repository, tagged by Go version and platforms.
func TestPublishedRef(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	stdlib := func(target ocispecs.Platform) func(string) (reference.Named, bool) {
		return func(source string) (reference.Named, bool) { return stdlibRef(source, "1.26.8", amd64, target) }
	}
	toolchain := func(build ocispecs.Platform) func(string) (reference.Named, bool) {
		return func(source string) (reference.Named, bool) { return toolchainRef(source, "1.26.8", build) }
	}
	pinnedSource := "registry.example:5000/tools/goimage@sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		desc, source string
		ref          func(source string) (reference.Named, bool)
		want         string // "" for none
	}{
		{"stdlib, the syntax line's short name", "goimage/frontend:1", stdlib(amd64), "docker.io/goimage/frontend-stdlib:1.26.8-linux-amd64-linux-amd64"},
		{"stdlib, a registry with a port, pinned", pinnedSource, stdlib(amd64), "registry.example:5000/tools/goimage-stdlib:1.26.8-linux-amd64-linux-amd64"},
		{"stdlib, a variant", "goimage/frontend:1", stdlib(armv7), "docker.io/goimage/frontend-stdlib:1.26.8-linux-amd64-linux-armv7"},
		{"stdlib, no source", "", stdlib(amd64), ""},
		{"stdlib, a source that is no reference", "Goimage/Frontend", stdlib(amd64), ""},
		{"toolchain, the syntax line's short name", "goimage/frontend:1", toolchain(amd64), "docker.io/goimage/frontend-toolchain:1.26.8-linux-amd64"},
		{"toolchain, a registry with a port, pinned", pinnedSource, toolchain(amd64), "registry.example:5000/tools/goimage-toolchain:1.26.8-linux-amd64"},
		{"toolchain, a variant", "goimage/frontend:1", toolchain(armv7), "docker.io/goimage/frontend-toolchain:1.26.8-linux-armv7"},
		{"toolchain, no source", "", toolchain(amd64), ""},
		{"toolchain, a source that is no reference", "Goimage/Frontend", toolchain(amd64), ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			named, ok := tc.ref(tc.source)
			got := ""
			if ok {
				got = named.String()
			}
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("reference for %q = %q, %v, want %q", tc.source, got, ok, tc.want)
			}
		})
	}
}
