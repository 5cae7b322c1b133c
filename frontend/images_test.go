package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageSources are the images a graph reads, as "identifier platform", sorted.
func imageSources(vertices []vertex) []string {
	var out []string
	for _, v := range vertices {
		if src := v.op.GetSource(); src != nil && strings.HasPrefix(src.Identifier, "docker-image://") {
			out = append(out, src.Identifier+" "+v.op.Platform.OS+"/"+v.op.Platform.Architecture)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// pinned is a reference of the fake registry pinned to the digest it resolves to.
func pinned(t *testing.T, ref, platform string) string {
	t.Helper()
	os, arch, _ := strings.Cut(platform, "/")
	p := ocispecs.Platform{OS: os, Architecture: arch}
	_, dgst, _, err := newFakeClientFiles(nil, nil).ResolveImageConfig(context.Background(), ref, sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p}})
	if err != nil {
		t.Fatal(err)
	}
	return "docker-image://" + ref + "@" + dgst.String() + " " + platform
}

// TestImages checks how the builder and base images are found: resolved through the
// gateway and pinned to their digest, for the build platform and the target platform; or
// taken from a named context of the same name (`--build-context NAME=docker-image://...`).
func TestImages(t *testing.T) {
	const (
		golang     = "docker.io/library/golang:1.26"
		distroless = "gcr.io/distroless/static-debian12:nonroot"
	)
	tests := []struct {
		desc        string
		opts        map[string]string
		wantSources func(t *testing.T) []string // the images the graph reads, in any order
		wantEnv     []string                    // the image's
		wantBase    bool                        // the base's configuration is in the result
	}{
		{
			desc: "resolved and pinned: the builder for the build platform, the base for the target",
			opts: map[string]string{"platform": "linux/arm64"},
			wantSources: func(t *testing.T) []string {
				return []string{pinned(t, golang, "linux/amd64"), pinned(t, distroless, "linux/arm64")}
			},
			wantEnv:  distrolessEnv,
			wantBase: true,
		},
		{
			desc: "a named context for the base",
			opts: map[string]string{"context:" + distroless: "docker-image://example.com/base:1"},
			wantSources: func(t *testing.T) []string {
				return []string{"docker-image://example.com/base:1 linux/amd64", pinned(t, golang, "linux/amd64")}
			},
			wantEnv:  []string{"PATH=/bin", "BASE=example", "TZ=UTC"},
			wantBase: true,
		},
		{
			desc: "a named context for the builder, for the build platform only",
			opts: map[string]string{"context:" + "golang:1.26::linux/amd64": "docker-image://example.com/base:1"},
			wantSources: func(t *testing.T) []string {
				return []string{"docker-image://example.com/base:1 linux/amd64", pinned(t, distroless, "linux/amd64")}
			},
			wantEnv:  distrolessEnv,
			wantBase: true,
		},
		{
			desc:        "scratch for the base",
			opts:        map[string]string{"context:" + distroless: "docker-image://scratch"},
			wantSources: func(t *testing.T) []string { return []string{pinned(t, golang, "linux/amd64")} },
			wantEnv:     []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			res := build(t, newFakeClient(t, depsDir, tt.opts))
			imgs := resultImages(t, res)
			if len(imgs) != 1 {
				t.Fatalf("%d images, want 1", len(imgs))
			}
			for _, img := range imgs {
				if diff := cmp.Diff(img.Env, tt.wantEnv); diff != "" {
					t.Errorf("image env (-got +want):\n%s", diff)
				}
				if img.HasBase != tt.wantBase {
					t.Errorf("base config in the result: %v, want %v", img.HasBase, tt.wantBase)
				}
			}
			ref := res.Ref
			for _, r := range res.Refs {
				ref = r
			}
			vertices, _ := graphOf(t, ref)
			if diff := cmp.Diff(imageSources(vertices), slices.Sorted(slices.Values(tt.wantSources(t)))); diff != "" {
				t.Errorf("image sources (-got +want):\n%s", diff)
			}
		})
	}
}

// TestImagesErrors checks that an image that cannot be had fails the build at the field
// that names it.
func TestImagesErrors(t *testing.T) {
	tests := []struct {
		desc    string
		opts    map[string]string
		wantErr string
	}{
		{
			desc:    "a named context that is no context",
			opts:    map[string]string{"context:golang:1.26": "bogus"},
			wantErr: "builder image golang:1.26: invalid context specifier bogus for golang:1.26",
		},
		{
			desc:    "a named context the registry does not have",
			opts:    map[string]string{"context:gcr.io/distroless/static-debian12:nonroot": "docker-image://example.com/missing:2"},
			wantErr: "base image gcr.io/distroless/static-debian12:nonroot: offline gateway: no configuration of example.com/missing:2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			res, err := Build(context.Background(), newFakeClient(t, depsDir, tt.opts))
			if err == nil {
				t.Fatalf("Build = %v, want an error", res)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build error %q, want it to say %q", err, tt.wantErr)
			}
			if len(errorRanges(t, err, goimagefileOf(t, depsDir))) != 1 {
				t.Errorf("Build error %q: want it at one field of the Goimagefile", err)
			}
		})
	}
}
