package llb

import (
	"context"
	"slices"
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeStdlib is a StdlibSource with an image for the targets it names.
type fakeStdlib struct {
	targets map[string]bool
	calls   []string // "version build target"
}

func (f *fakeStdlib) Stdlib(_ context.Context, version string, build, target ocispecs.Platform) (llb.State, bool) {
	f.calls = append(f.calls, version+" "+platforms.Format(build)+" "+platforms.Format(target))
	if !f.targets[platforms.Format(target)] {
		return llb.State{}, false
	}
	return llb.Image("docker.io/goimage/frontend-stdlib:" + version), true
}

// stdlibGolang is golang:1.26 with GOLANG_VERSION set to version.
func stdlibGolang(version string) *fakeImages {
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=" + defaultPath, "GOLANG_VERSION=" + version}
	return &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{"golang:1.26": img}}
}

// TestStdlib checks the standard library step's use of a standard library compiled ahead:
// looked up for the builder's Go version, the build and the target platform, mounted
// read-only and read by the cache program when found, and never asked for with a
// GOLANG_VERSION that could not name an image.
func TestStdlib(t *testing.T) {
	const stdName = "compile the standard library of ./cmd/app linux/arm64"
	prog := helperBin + " cacheprog -dir /go/cache -ro " + helperCacheDir
	tests := []struct {
		desc      string
		version   string
		targets   map[string]bool
		wantCalls []string
		wantProg  string
	}{{
		desc:      "an image for the target",
		version:   "1.26.8",
		targets:   map[string]bool{"linux/arm64": true},
		wantCalls: []string{"1.26.8 linux/amd64 linux/arm64"},
		wantProg:  prog + " -ro " + stdlibDir + " -used -out " + stdCacheDir + " -stats",
	}, {
		desc:      "no image for the target",
		version:   "1.26.8",
		targets:   map[string]bool{"linux/amd64": true},
		wantCalls: []string{"1.26.8 linux/amd64 linux/arm64"},
		wantProg:  prog + " -used -out " + stdCacheDir + " -stats",
	}, {
		desc:      "a release candidate",
		version:   "1.27rc1",
		targets:   map[string]bool{},
		wantCalls: []string{"1.27rc1 linux/amd64 linux/arm64"},
		wantProg:  prog + " -used -out " + stdCacheDir + " -stats",
	}, {
		desc:     "no GOLANG_VERSION",
		wantProg: prog + " -used -out " + stdCacheDir + " -stats",
	}}
	for _, hostile := range []string{"1.26.8:latest", "1.26.8@sha256:00", "../1.26", "1.26.8 -ro /", "-1.26", "1.26.8\n"} {
		tests = append(tests, struct {
			desc      string
			version   string
			targets   map[string]bool
			wantCalls []string
			wantProg  string
		}{desc: "hostile " + hostile, version: hostile, targets: map[string]bool{"linux/arm64": true}, wantProg: prog + " -used -out " + stdCacheDir + " -stats"})
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			opt.Images = stdlibGolang(tc.version)
			if tc.version == "" {
				opt.Images = golangImages(defaultPath)
			}
			stdlib := &fakeStdlib{targets: tc.targets}
			opt.Stdlib = stdlib
			_, g := convert(t, minimal, opt)
			if diff := cmp.Diff(stdlib.calls, tc.wantCalls); diff != "" {
				t.Errorf("lookups (-got +want):\n%s", diff)
			}
			std := g.named(stdName)
			if got := std.env()["GOCACHEPROG"]; got != tc.wantProg {
				t.Errorf("GOCACHEPROG = %q, want %q", got, tc.wantProg)
			}
			if tc.wantProg == prog+" -used -out "+stdCacheDir+" -stats" {
				if slices.Contains(std.mountDests(), stdlibDir) {
					t.Errorf("%s mounted with no image found", stdlibDir)
				}
				return
			}
			if from, _ := std.mountSource(stdlibDir); from == nil || from.source().Identifier != "docker-image://docker.io/goimage/frontend-stdlib:"+tc.version || !std.mount(stdlibDir).Readonly {
				t.Errorf("%s from %v, want the standard library image read-only", stdlibDir, from)
			}
		})
	}
}
