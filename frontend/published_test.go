package frontend

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
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

// heldBuilder is a gateway whose builder image configuration resolves only once the lookups
// in want have started, or after a while: early holds the published images' lookups made
// by then.
type heldBuilder struct {
	*fakeClient
	builder string
	want    []string

	mu    sync.Mutex
	early []string
}

func (c *heldBuilder) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if ref == c.builder {
		wait := 300 * time.Millisecond // for lookups that should not come
		if len(c.want) > 0 {
			wait = 5 * time.Second
		}
		for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if len(c.want) > 0 && !slices.ContainsFunc(c.want, func(l string) bool { return !slices.Contains(c.Lookups(), l) }) {
				break
			}
		}
		c.mu.Lock()
		c.early = publishedLookups(c.Lookups())
		c.mu.Unlock()
	}
	return c.fakeClient.ResolveImageConfig(ctx, ref, opt)
}

// publishedLookups are the lookups of images published with the frontend among lookups.
func publishedLookups(lookups []string) []string {
	var out []string
	for _, l := range lookups {
		if strings.Contains(l, "-stdlib:") || strings.Contains(l, "-toolchain:") {
			out = append(out, l)
		}
	}
	return out
}

// TestPrefetchBesideBuilder checks that prefetch looks the published images up beside the
// read of the builder image's configuration where the frontend can tell the Go version they
// need ahead (the default golang image of the frontend's own minor release), and after it
// otherwise.
func TestPrefetchBesideBuilder(t *testing.T) {
	version := strings.TrimPrefix(runtime.Version(), "go")
	minor := strings.Join(strings.SplitN(version, ".", 3)[:2], ".")
	stdlib := "docker.io/goimage/frontend-stdlib:" + version + "-linux-" + runtime.GOARCH + "-linux-arm64 linux/arm64"
	toolchain := "docker.io/goimage/frontend-toolchain:" + version + "-linux-" + runtime.GOARCH + " linux/" + runtime.GOARCH
	tests := []struct {
		desc      string
		spec      spec.Spec
		toolchain bool // publishedImages.toolchain: no named context stands in for the builder
		want      []string
	}{
		{"the frontend's minor release", spec.Spec{Go: minor}, true, []string{stdlib, toolchain}},
		{"the frontend's exact release", spec.Spec{Go: version}, true, []string{stdlib, toolchain}},
		{"cgo, which runs on the builder", spec.Spec{Go: minor, CGO: true}, true, []string{stdlib}},
		{"an explicit builder", spec.Spec{Go: minor, Builder: "golang:" + minor}, true, nil},
		{"a named context for the builder", spec.Spec{Go: minor}, false, nil},
		{"another minor release", spec.Spec{Go: minor + "0"}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			fake, _ := stdlibClient(t, map[string]string{frontendSourceKey: "goimage/frontend:1"}, "arm64")
			builder := "docker.io/library/" + tc.spec.BuilderImage()
			c := &heldBuilder{fakeClient: fake, builder: builder, want: tc.want}
			bc, err := dockerui.NewClient(c)
			if err != nil {
				t.Fatal(err)
			}
			s := &publishedImages{c: c, source: "goimage/frontend:1", toolchain: tc.toolchain}
			p := &plan.Plan{Spec: &tc.spec, Builder: plan.Image{Ref: tc.spec.BuilderImage()}}
			s.prefetch(context.Background(), &images{bc: bc, c: c}, p, fake.Platform, []ocispecs.Platform{{OS: "linux", Architecture: "arm64"}})
			for deadline := time.Now().Add(5 * time.Second); !slices.Contains(fake.Lookups(), builder+" linux/"+runtime.GOARCH); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("prefetch did not read %s: %v", builder, fake.Lookups())
				}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if diff := cmp.Diff(c.early, tc.want); diff != "" {
				t.Errorf("lookups before the builder's configuration (-got +want):\n%s", diff)
			}
		})
	}
}

// TestPrefetchPullsConfirmed checks that the images looked up ahead of the builder's
// configuration are pulled ahead only once it confirms their Go version: a builder of
// another patch release never uses them.
func TestPrefetchPullsConfirmed(t *testing.T) {
	version := strings.TrimPrefix(runtime.Version(), "go")
	minor := strings.Join(strings.SplitN(version, ".", 3)[:2], ".")
	tests := []struct {
		desc    string
		builder string // the builder's GOLANG_VERSION
		want    bool
	}{
		{"the frontend's release", version, true},
		{"another patch release", minor + ".99", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c, refs := stdlibClient(t, map[string]string{frontendSourceKey: "goimage/frontend:1"}, "arm64")
			golang := c.Images["docker.io/library/golang:1.26"]
			golang.Config.Env = slices.Clone(golang.Config.Env)
			for i, e := range golang.Config.Env {
				if strings.HasPrefix(e, "GOLANG_VERSION=") {
					golang.Config.Env[i] = "GOLANG_VERSION=" + tc.builder
				}
			}
			c.Images["docker.io/library/golang:1.26"] = golang
			bc, err := dockerui.NewClient(c)
			if err != nil {
				t.Fatal(err)
			}
			s := &publishedImages{c: c, source: "goimage/frontend:1", pull: true, toolchain: true}
			p := &plan.Plan{Spec: &spec.Spec{Go: minor}, Builder: plan.Image{Ref: "golang:" + minor}}
			s.prefetch(context.Background(), &images{bc: bc, c: c}, p, c.Platform, []ocispecs.Platform{{OS: "linux", Architecture: "arm64"}})
			stdlib := refs[0]
			got := pulledWithin(c, stdlib, tc.want)
			if !slices.Contains(c.Lookups(), stdlib+" linux/arm64") {
				t.Fatalf("prefetch did not look up %s: %v", stdlib, c.Lookups())
			}
			if got != tc.want {
				t.Errorf("standard library image read: %v, want %v", got, tc.want)
			}
		})
	}
}
