package frontend

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// stdlibClient is a fake gateway on the host's platform where a standard library image is
// published for the frontend: golang:1.26 gives the frontend's Go version as its
// GOLANG_VERSION, and the gateway holds the standard library image for each target
// architecture, whose references it returns in that order.
func stdlibClient(t *testing.T, opts map[string]string, archs ...string) (*fakeClient, []string) {
	t.Helper()
	version := strings.TrimPrefix(runtime.Version(), "go")
	c := newFakeClient(t, depsDir, opts)
	c.Platform = ocispecs.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	golang := c.Images["docker.io/library/golang:1.26"]
	golang.Config.Env = slices.Clone(golang.Config.Env)
	for i, e := range golang.Config.Env {
		if strings.HasPrefix(e, "GOLANG_VERSION=") {
			golang.Config.Env[i] = "GOLANG_VERSION=" + version
		}
	}
	c.Images["docker.io/library/golang:1.26"] = golang
	var refs []string
	for _, arch := range archs {
		ref := "docker.io/goimage/frontend-stdlib:" + version + "-linux-" + runtime.GOARCH + "-linux-" + arch
		c.Images[ref] = offline.Image{Digest: digest.FromString(ref), Files: fstest.MapFS{"stdlib": &fstest.MapFile{}}}
		refs = append(refs, ref)
	}
	return c, refs
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

// TestStdlibPulledAhead checks that a build that imports no cache pulls the standard library
// image as soon as it finds it (a read of a file of it), beside the list rather than after
// it, and that a build importing a cache, which most likely holds the compiled standard
// library, and the test target, which never reads it, do not.
func TestStdlibPulledAhead(t *testing.T) {
	tests := []struct {
		desc string
		opts map[string]string
		want bool
	}{
		{"no cache import", map[string]string{frontendSourceKey: "goimage/frontend:1"}, true},
		{"a cache import", map[string]string{frontendSourceKey: "goimage/frontend:1", "cache-imports": `[{"Type":"registry","Attrs":{"ref":"example.com/cache"}}]`}, false},
		{"the test target", map[string]string{frontendSourceKey: "goimage/frontend:1", "target": "test"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c, refs := stdlibClient(t, tt.opts, runtime.GOARCH)
			stdlib := refs[0]
			build(t, c)
			if tt.want && !slices.Contains(c.Lookups(), stdlib+" linux/"+runtime.GOARCH) {
				t.Fatalf("the build did not look up %s: %v", stdlib, c.Lookups())
			}
			if got := pulledWithin(c, stdlib, tt.want); got != tt.want {
				t.Errorf("standard library image read: %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStdlibLookedUpOnce checks that the lookups prefetch starts, as soon as the builder
// image gives its Go version, are the ones the conversion uses: each target platform's
// standard library image is resolved once, not again by the conversion.
func TestStdlibLookedUpOnce(t *testing.T) {
	c, refs := stdlibClient(t, map[string]string{frontendSourceKey: "goimage/frontend:1", "platform": "linux/amd64,linux/arm64"}, "amd64", "arm64")
	want := []string{refs[0] + " linux/amd64", refs[1] + " linux/arm64"}
	build(t, c)
	var got []string
	for _, l := range c.Lookups() {
		if strings.Contains(l, "-stdlib:") {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("standard library lookups (-got +want):\n%s", diff)
	}
}

// TestPrefetch checks that prefetch, before any conversion, looks up the standard library
// image of each target platform and the toolchain image of the build platform once the
// builder image resolves.
func TestPrefetch(t *testing.T) {
	c, refs := stdlibClient(t, map[string]string{frontendSourceKey: "goimage/frontend:1"}, "arm64")
	bc, err := dockerui.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	s := &publishedImages{c: c, source: "goimage/frontend:1", toolchain: true}
	p := &plan.Plan{Spec: &spec.Spec{}, Builder: plan.Image{Ref: "golang:1.26"}}
	s.prefetch(context.Background(), &images{bc: bc, c: c}, p, c.Platform, []ocispecs.Platform{{OS: "linux", Architecture: "arm64"}})
	toolchain := "docker.io/goimage/frontend-toolchain:" + strings.TrimPrefix(runtime.Version(), "go") + "-linux-" + runtime.GOARCH
	for _, want := range []string{refs[0] + " linux/arm64", toolchain + " linux/" + runtime.GOARCH} {
		for deadline := time.Now().Add(5 * time.Second); !slices.Contains(c.Lookups(), want); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("prefetch did not look up %s: %v", want, c.Lookups())
			}
		}
	}
}

// pulledWithin reports whether a file of the image ref is read (pullAhead) by the time one
// that should come (want) has come, or long enough for one that should not: the pull runs
// beside the build, which does not wait for it.
func pulledWithin(c *fakeClient, ref string, want bool) bool {
	pulled := func() bool {
		for _, req := range c.Read() {
			if src, err := offline.ResultSource(req.Definition); err == nil && src != nil && strings.HasPrefix(src.Identifier, "docker-image://"+ref+"@") {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(5 * time.Second)
	if !want {
		deadline = time.Now().Add(300 * time.Millisecond)
	}
	for !pulled() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return pulled()
}
