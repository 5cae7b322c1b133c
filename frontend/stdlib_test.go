package frontend

import (
	"runtime"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestStdlibRef(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	tests := []struct {
		desc, source string
		target       ocispecs.Platform
		want         string // "" for none
	}{
		{"the syntax line's short name", "goimage/frontend:1", amd64, "docker.io/goimage/frontend-stdlib:1.26.8-linux-amd64-linux-amd64"},
		{"a registry with a port, pinned", "registry.example:5000/tools/goimage@sha256:" + strings.Repeat("a", 64), amd64, "registry.example:5000/tools/goimage-stdlib:1.26.8-linux-amd64-linux-amd64"},
		{"a variant", "goimage/frontend:1", armv7, "docker.io/goimage/frontend-stdlib:1.26.8-linux-amd64-linux-armv7"},
		{"no source", "", amd64, ""},
		{"a source that is no reference", "Goimage/Frontend", amd64, ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			named, ok := stdlibRef(tc.source, "1.26.8", amd64, tc.target)
			got := ""
			if ok {
				got = named.String()
			}
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("stdlibRef(%q) = %q, %v, want %q", tc.source, got, ok, tc.want)
			}
		})
	}
}

// TestStdlibPublished checks that the frontend looks only for images it is published with:
// its own Go version and platform, a target of stdlibTargets.
func TestStdlibPublished(t *testing.T) {
	own := strings.TrimPrefix(runtime.Version(), "go")
	build := ocispecs.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	other := ocispecs.Platform{OS: "linux", Architecture: "s390x"}
	if runtime.GOARCH == "s390x" {
		other.Architecture = "ppc64le"
	}
	tests := []struct {
		desc          string
		version       string
		build, target ocispecs.Platform
		want          bool
	}{
		{"the frontend's version and platform", own, build, arm64, true},
		{"another Go version", own + "1", build, arm64, false},
		{"another build platform", own, other, arm64, false},
		{"a target with no image", own, build, other, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := stdlibPublished(tc.version, tc.build, tc.target); got != tc.want {
				t.Errorf("stdlibPublished(%q, %v, %v) = %v, want %v", tc.version, tc.build, tc.target, got, tc.want)
			}
		})
	}
}
