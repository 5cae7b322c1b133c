package llb

import (
	"testing"
	"time"

	"github.com/goimage/goimage/plan"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// baseConfig is a base image's configuration with something in every merged field.
func baseConfig() *dockerspec.DockerOCIImage {
	created := date("2020-01-01T00:00:00Z")
	img := &dockerspec.DockerOCIImage{}
	img.Created = &created
	img.Platform = arm64
	img.History = []ocispecs.History{{Created: &created, CreatedBy: "base layer"}}
	img.Config = dockerspec.DockerOCIImageConfig{}
	img.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TZ=Europe/Paris", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	img.Config.Labels = map[string]string{"maintainer": "base", "org.opencontainers.image.title": "base"}
	img.Config.ExposedPorts = map[string]struct{}{"9090/tcp": {}}
	img.Config.WorkingDir = "/home/nonroot"
	img.Config.User = "65532"
	img.Config.Entrypoint = []string{"/base-entrypoint"}
	img.Config.Cmd = []string{"--base"}
	img.Config.StopSignal = "SIGTERM"
	return img
}

// TestImageConfig checks the image configuration: user, entrypoint, env, labels and ports,
// the spec's merged over the base's.
func TestImageConfig(t *testing.T) {
	withBase := &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{"example.com/base:1": baseConfig()}}
	tests := []struct {
		desc        string
		goimagefile string
		images      *fakeImages
		want        dockerspec.DockerOCIImageConfig
		wantBase    bool // Result.BaseImage is the base's configuration
	}{
		{
			desc:        "defaults on scratch",
			goimagefile: minimal + "base: scratch\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/app"}, WorkingDir: "/",
				Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "distroless without a resolver",
			goimagefile: minimal,
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/app"}, WorkingDir: "/",
				Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "root",
			goimagefile: minimal + "base: scratch\nimage: {user: root}\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "0:0", Entrypoint: []string{"/app"}, WorkingDir: "/", Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "numeric uid:gid passes through",
			goimagefile: minimal + "base: scratch\nimage: {user: \"1000:2000\"}\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "1000:2000", Entrypoint: []string{"/app"}, WorkingDir: "/", Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "numeric uid passes through",
			goimagefile: minimal + "base: scratch\nimage: {user: \"1000\"}\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "1000", Entrypoint: []string{"/app"}, WorkingDir: "/", Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "a named user on an image base passes through",
			goimagefile: minimal + "image: {user: www-data}\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "www-data", Entrypoint: []string{"/app"}, WorkingDir: "/", Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "entrypoint defaults to the first binary",
			goimagefile: "version: 1\nbase: scratch\nbinaries:\n  - main: ./cmd/server\n  - main: ./cmd/tool\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/server"}, WorkingDir: "/", Env: []string{"PATH=" + scratchPath},
			}),
		},
		{
			desc:        "explicit entrypoint, cmd, workdir, env, labels and ports",
			goimagefile: minimal + "base: scratch\nimage:\n  entrypoint: [/app, serve]\n  cmd: [--port, \"8080\"]\n  workdir: /data\n  env: {TZ: UTC, B: \"2\", A: \"1\"}\n  labels: {a: \"1\", b: \"2\"}\n  expose: [8080, 53/udp]\n",
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/app", "serve"}, Cmd: []string{"--port", "8080"}, WorkingDir: "/data",
				Env:          []string{"PATH=" + scratchPath, "A=1", "B=2", "TZ=UTC"},
				Labels:       map[string]string{"a": "1", "b": "2"},
				ExposedPorts: map[string]struct{}{"8080/tcp": {}, "53/udp": {}},
			}),
		},
		{
			desc:        "merged over a base: the spec wins on clashes",
			goimagefile: minimal + "base: example.com/base:1\nimage:\n  env: {TZ: UTC, PATH: /app/bin, LANG: C.UTF-8}\n  labels: {org.opencontainers.image.title: app, team: core}\n  expose: [8080, 9090]\n",
			images:      withBase,
			wantBase:    true,
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/app"}, WorkingDir: "/home/nonroot", StopSignal: "SIGTERM",
				Env:          []string{"PATH=/app/bin", "TZ=UTC", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "LANG=C.UTF-8"},
				Labels:       map[string]string{"maintainer": "base", "org.opencontainers.image.title": "app", "team": "core"},
				ExposedPorts: map[string]struct{}{"8080/tcp": {}, "9090/tcp": {}},
			}),
		},
		{
			desc:        "a base with nothing from the spec: base values kept, entrypoint and cmd replaced",
			goimagefile: minimal + "base: example.com/base:1\nimage: {workdir: /srv}\n",
			images:      withBase,
			wantBase:    true,
			want: ociConfig(ocispecs.ImageConfig{
				User: "65532:65532", Entrypoint: []string{"/app"}, WorkingDir: "/srv", StopSignal: "SIGTERM",
				Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TZ=Europe/Paris", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
				Labels:       map[string]string{"maintainer": "base", "org.opencontainers.image.title": "base"},
				ExposedPorts: map[string]struct{}{"9090/tcp": {}},
			}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			if tc.images != nil {
				opt.Images = tc.images
			}
			res, _ := convert(t, tc.goimagefile, opt)
			if diff := cmp.Diff(res.Image.Config, tc.want, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("config (-got +want):\n%s", diff)
			}
			if tc.wantBase {
				if diff := cmp.Diff(res.BaseImage, baseConfig()); diff != "" {
					t.Errorf("BaseImage (-got +want):\n%s", diff)
				}
			} else if res.BaseImage != nil {
				t.Errorf("BaseImage = %v, want nil", res.BaseImage)
			}
			// The resolver's configuration is never changed in place.
			if tc.images != nil {
				if diff := cmp.Diff(tc.images.configs["example.com/base:1"], baseConfig()); diff != "" {
					t.Errorf("base configuration modified (-got +want):\n%s", diff)
				}
			}
		})
	}
}

func ociConfig(c ocispecs.ImageConfig) dockerspec.DockerOCIImageConfig {
	return dockerspec.DockerOCIImageConfig{ImageConfig: c}
}

// TestImageMetadata checks Created, the platform and history: the epoch everywhere, the
// target as the platform.
func TestImageMetadata(t *testing.T) {
	epoch := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		desc        string
		goimagefile string
		target      ocispecs.Platform
		epoch       *time.Time
		images      *fakeImages
		wantCreated time.Time
		wantHistory []string // CreatedBy of each entry
	}{
		{desc: "no epoch: the Unix epoch", goimagefile: minimal, target: arm64, wantCreated: time.Unix(0, 0), wantHistory: []string{"goimage: copy /app"}},
		{desc: "epoch", goimagefile: minimal, target: armv7, epoch: &epoch, wantCreated: epoch, wantHistory: []string{"goimage: copy /app"}},
		{desc: "amd64/v3 target", goimagefile: minimal, target: amd64v3, epoch: &epoch, wantCreated: epoch, wantHistory: []string{"goimage: copy /app"}},
		{
			desc: "base history kept", goimagefile: minimal + "base: example.com/base:1\n", target: arm64, epoch: &epoch,
			images:      &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{"example.com/base:1": baseConfig()}},
			wantCreated: epoch, wantHistory: []string{"base layer", "goimage: copy /app"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := Options{BuildPlatform: amd64, TargetPlatform: &tc.target, Epoch: tc.epoch}
			if tc.images != nil {
				opt.Images = tc.images
			}
			res, _ := convert(t, tc.goimagefile, opt)
			img := res.Image
			if img.Created == nil || !img.Created.Equal(tc.wantCreated) {
				t.Errorf("Created = %v, want %v", img.Created, tc.wantCreated)
			}
			if diff := cmp.Diff(img.Platform, tc.target); diff != "" {
				t.Errorf("platform (-got +want):\n%s", diff)
			}
			var history []string
			for _, h := range img.History {
				history = append(history, h.CreatedBy)
			}
			if diff := cmp.Diff(history, tc.wantHistory); diff != "" {
				t.Errorf("history (-got +want):\n%s", diff)
			}
			last := img.History[len(img.History)-1]
			if last.Created == nil || !last.Created.Equal(tc.wantCreated) {
				t.Errorf("history Created = %v, want %v", last.Created, tc.wantCreated)
			}
			if img.RootFS.Type != "layers" {
				t.Errorf("rootfs type = %q, want layers", img.RootFS.Type)
			}
		})
	}
}

// TestBaseImageRequests checks which images are resolved, and for which platform: the
// builder for the build platform, the base for the target.
func TestBaseImageRequests(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		want        []string
	}{
		{desc: "distroless", goimagefile: minimal, want: []string{"golang:1.26 linux/amd64", plan.DistrolessImage + " linux/arm/v7"}},
		{desc: "scratch", goimagefile: minimal + "base: scratch\n", want: []string{"golang:1.26 linux/amd64"}},
		{desc: "go version and an image base", goimagefile: minimal + "go: \"1.25\"\nbase: example.com/base:1\n", want: []string{"golang:1.25 linux/amd64", "example.com/base:1 linux/arm/v7"}},
		{desc: "explicit builder", goimagefile: minimal + "builder: example.com/go:1.26\nbase: scratch\n", want: []string{"example.com/go:1.26 linux/amd64"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			images := &fakeImages{}
			opt := crossOpts(armv7)
			opt.Images = images
			convert(t, tc.goimagefile, opt)
			if diff := cmp.Diff(images.calls, tc.want); diff != "" {
				t.Errorf("image requests (-got +want):\n%s", diff)
			}
		})
	}
}

// TestBuilderConfigDoesNotLeak checks that the builder's environment stays in the builder.
func TestBuilderConfigDoesNotLeak(t *testing.T) {
	builder := &dockerspec.DockerOCIImage{}
	builder.Config.Env = []string{"PATH=/usr/local/go/bin:/usr/bin", "GOLANG_VERSION=1.26.0"}
	builder.Config.User = "root"
	images := &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{"golang:1.26": builder}}
	opt := crossOpts(arm64)
	opt.Images = images
	res, _ := convert(t, minimal+"base: scratch\n", opt)
	if diff := cmp.Diff(res.Image.Config.Env, []string{"PATH=" + scratchPath}); diff != "" {
		t.Errorf("image env (-got +want):\n%s", diff)
	}
	if res.Image.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", res.Image.Config.User)
	}
}
