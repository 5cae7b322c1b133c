package llb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestCompileTarget checks that each target platform is cross-compiled on the build
// platform: the op runs on the build platform, GOOS/GOARCH and the level variable name
// the target, and the network is off.
func TestCompileTarget(t *testing.T) {
	tests := []struct {
		desc     string
		build    ocispecs.Platform
		target   string
		wantName string
		wantEnv  map[string]string // of GOOS GOARCH GOARM GOAMD64
	}{
		{
			desc: "arm64 from amd64", build: amd64, target: "linux/arm64",
			wantName: "go build ./cmd/app linux/arm64",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "arm64"},
		},
		{
			desc: "arm/v7 sets GOARM", build: amd64, target: "linux/arm/v7",
			wantName: "go build ./cmd/app linux/arm/v7",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "arm", "GOARM": "7"},
		},
		{
			desc: "arm/v6 sets GOARM", build: amd64, target: "linux/arm/v6",
			wantName: "go build ./cmd/app linux/arm/v6",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "arm", "GOARM": "6"},
		},
		{
			desc: "arm without variant is v7", build: amd64, target: "linux/arm",
			wantName: "go build ./cmd/app linux/arm/v7",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "arm", "GOARM": "7"},
		},
		{
			desc: "amd64/v3 sets GOAMD64", build: arm64, target: "linux/amd64/v3",
			wantName: "go build ./cmd/app linux/amd64/v3",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "amd64", "GOAMD64": "v3"},
		},
		{
			desc: "amd64/v3 on an amd64 builder", build: amd64, target: "linux/amd64/v3",
			wantName: "go build ./cmd/app linux/amd64/v3",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "amd64", "GOAMD64": "v3"},
		},
		{
			desc: "amd64/v1 is the default level", build: arm64, target: "linux/amd64/v1",
			wantName: "go build ./cmd/app linux/amd64",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "amd64"},
		},
		{
			desc: "plain amd64 has no GOAMD64", build: arm64, target: "linux/amd64",
			wantName: "go build ./cmd/app linux/amd64",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "amd64"},
		},
		{
			desc: "riscv64", build: amd64, target: "linux/riscv64",
			wantName: "go build ./cmd/app linux/riscv64",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "riscv64"},
		},
		{
			desc: "s390x", build: arm64, target: "linux/s390x",
			wantName: "go build ./cmd/app linux/s390x",
			wantEnv:  map[string]string{"GOOS": "linux", "GOARCH": "s390x"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			target, err := platforms.Parse(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			_, g := convert(t, minimal, Options{BuildPlatform: tc.build, TargetPlatform: &target})
			n := g.named(tc.wantName)
			e := n.exec()
			if e.Network != pb.NetMode_NONE {
				t.Errorf("network = %v, want NONE", e.Network)
			}
			env := n.env()
			if env["GOPROXY"] != "off" {
				t.Errorf("GOPROXY = %q, want off", env["GOPROXY"])
			}
			if diff := cmp.Diff(pick(env, "GOOS", "GOARCH", "GOARM", "GOAMD64"), tc.wantEnv); diff != "" {
				t.Errorf("target env (-got +want):\n%s", diff)
			}
			if got, want := platformOf(n.op), platforms.Format(tc.build); got != want {
				t.Errorf("op platform = %s, want the build platform %s (never emulation)", got, want)
			}
			// The download runs on the build platform too, and knows nothing of the target.
			dl := g.named(downloadName)
			if got, want := platformOf(dl.op), platforms.Format(tc.build); got != want {
				t.Errorf("download platform = %s, want %s", got, want)
			}
			if diff := cmp.Diff(pick(dl.env(), "GOOS", "GOARCH", "GOARM", "GOAMD64"), map[string]string{}); diff != "" {
				t.Errorf("download has target env (-got +want):\n%s", diff)
			}
		})
	}
}

// TestCompileEnv checks the compile step's full go environment.
func TestCompileEnv(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		want        map[string]string
	}{
		{
			desc:        "defaults",
			goimagefile: minimal,
			want: map[string]string{
				"GOMODCACHE": "/go/pkg/mod", "GOCACHE": "/go/cache", "GOPATH": "/go", "GOTOOLCHAIN": "local",
				"CGO_ENABLED": "0", "GOPROXY": "off", "GOOS": "linux", "GOARCH": "arm64",
			},
		},
		{
			desc:        "goproxy is for the download only",
			goimagefile: minimal + "goproxy: https://proxy.example.com\ngoprivate: example.com/*\n",
			want: map[string]string{
				"GOMODCACHE": "/go/pkg/mod", "GOCACHE": "/go/cache", "GOPATH": "/go", "GOTOOLCHAIN": "local",
				"CGO_ENABLED": "0", "GOPROXY": "off", "GOOS": "linux", "GOARCH": "arm64",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convert(t, tc.goimagefile, crossOpts(arm64))
			got := pick(g.named("go build ./cmd/app linux/arm64").env(), goEnvKeys...)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("env (-got +want):\n%s", diff)
			}
		})
	}
}

// TestSpecEnv checks that the spec's env and goflags reach both go steps, verbatim.
func TestSpecEnv(t *testing.T) {
	_, g := convert(t, minimal+"goflags: -mod=readonly\nenv:\n  GOEXPERIMENT: \"\"\n  ODD: \"$(id); rm -rf / `id`\"\n", crossOpts(arm64))
	want := map[string]string{"GOEXPERIMENT": "", "GOFLAGS": "-mod=readonly", "ODD": "$(id); rm -rf / `id`"}
	for _, name := range []string{downloadName, "go build ./cmd/app linux/arm64"} {
		if diff := cmp.Diff(pick(g.named(name).env(), "GOEXPERIMENT", "GOFLAGS", "ODD"), want); diff != "" {
			t.Errorf("%s env (-got +want):\n%s", name, diff)
		}
	}
}

// TestCompileMounts checks the compile step's filesystem: source and module cache read-only,
// the build cache a shared cache mount, the binary leaving through an output on scratch.
func TestCompileMounts(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		namespace   string
		wantCacheID string
		wantCwd     string
	}{
		{desc: "defaults", goimagefile: minimal, wantCacheID: "goimage-gocache", wantCwd: "/src"},
		{desc: "cache namespace", goimagefile: minimal, namespace: "tenant-a", wantCacheID: "tenant-a/goimage-gocache", wantCwd: "/src"},
		{desc: "module in a subdirectory", goimagefile: "version: 1\ndir: sub\nmain: ./cmd/app\n", wantCacheID: "goimage-gocache", wantCwd: "/src/sub"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			opt := crossOpts(arm64)
			opt.CacheIDNamespace = tc.namespace
			opt.Images = golangImages(defaultPath)
			_, g := convert(t, tc.goimagefile, opt)
			n := g.named("go build ./cmd/app linux/arm64")
			dl := g.named(downloadName)

			if diff := cmp.Diff(n.mountDests(), []string{"/", "/go/cache", "/go/pkg/mod", "/goimage/bin", "/goimage/depcache", "/goimage/stdcache", "/out", "/src"}); diff != "" {
				t.Errorf("mounts (-got +want):\n%s", diff)
			}
			if got := n.exec().Meta.Cwd; got != tc.wantCwd {
				t.Errorf("cwd = %q, want %q", got, tc.wantCwd)
			}

			// The root is the builder image's toolchain (TestGoRunRoot).
			if root, _ := n.mountSource("/"); root == nil || root.name() != toolchainName {
				t.Errorf("root is %v, want %q", root, toolchainName)
			}

			// The whole build context, read-only.
			src := n.mount("/src")
			if !src.Readonly || src.MountType != pb.MountType_BIND {
				t.Errorf("/src: readonly %v type %v, want a read-only bind", src.Readonly, src.MountType)
			}
			in, _ := n.mountSource("/src")
			if in == nil {
				t.Fatalf("/src is scratch")
			}
			if name, include := localInfo(t, in.source()); name != "context" || len(include) != 0 {
				t.Errorf("/src is local %q with include %q, want the whole context", name, include)
			}

			// The module cache, read-only, from the download step's output.
			mod := n.mount("/go/pkg/mod")
			if !mod.Readonly || mod.MountType != pb.MountType_BIND {
				t.Errorf("/go/pkg/mod: readonly %v type %v, want a read-only bind", mod.Readonly, mod.MountType)
			}
			from, idx := n.mountSource("/go/pkg/mod")
			if from == nil || from.dgst != dl.dgst {
				t.Fatalf("/go/pkg/mod comes from %v, want %q", from, downloadName)
			}
			if want := dl.mount("/go/pkg/mod").Output; idx != want {
				t.Errorf("/go/pkg/mod reads output %d of the download, want its /go/pkg/mod output %d", idx, want)
			}

			// The build cache.
			for _, step := range []*node{n, dl} {
				c := step.mount("/go/cache")
				if c.MountType != pb.MountType_CACHE || c.CacheOpt == nil {
					t.Fatalf("%s /go/cache: type %v, want CACHE", step, c.MountType)
				}
				if c.CacheOpt.ID != tc.wantCacheID {
					t.Errorf("%s /go/cache id = %q, want %q", step, c.CacheOpt.ID, tc.wantCacheID)
				}
				if c.CacheOpt.Sharing != pb.CacheSharingOpt_SHARED {
					t.Errorf("%s /go/cache sharing = %v, want SHARED", step, c.CacheOpt.Sharing)
				}
				if c.Output != int64(pb.SkipOutput) {
					t.Errorf("%s /go/cache is an output", step)
				}
			}

			// The binary's way out: an output on scratch.
			out := n.mount("/out")
			if out.Readonly || out.MountType != pb.MountType_BIND || out.Input != int64(pb.Empty) || out.Output < 0 {
				t.Errorf("/out = %v, want a writable output bind on scratch", out)
			}
		})
	}
}

// TestCompileArgs checks the go build command line, word by word.
func TestCompileArgs(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		args        map[string]string
		name        string
		want        []string
	}{
		{
			desc:        "defaults",
			goimagefile: minimal,
			name:        "go build ./cmd/app linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", "/out/app", "./cmd/app"},
		},
		{
			desc:        "tags",
			goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [netgo, osusergo, timetzdata]\n",
			name:        "go build ./cmd/app linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-tags", "netgo,osusergo,timetzdata", "-o", "/out/app", "./cmd/app"},
		},
		{
			desc:        "name and a main without ./",
			goimagefile: "version: 1\nbinaries:\n  - name: server\n    main: cmd/srv\n",
			name:        "go build cmd/srv linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", "/out/server", "./cmd/srv"},
		},
		{
			desc:        "module root",
			goimagefile: "version: 1\nmain: .\n",
			name:        "go build . linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", "/out/app", "."},
		},
		{
			desc:        "trailing slash is cleaned",
			goimagefile: "version: 1\nmain: ./cmd/app/\n",
			name:        "go build ./cmd/app/ linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", "/out/app", "./cmd/app"},
		},
		{
			desc:        "ldflags with a build arg and tags",
			goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [a, b]\n    ldflags: [\"-X main.version=${VERSION}\"]\n",
			args:        map[string]string{"VERSION": "1.2.3"},
			name:        "go build ./cmd/app linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid= -X main.version=1.2.3", "-tags", "a,b", "-o", "/out/app", "./cmd/app"},
		},
		{
			desc:        "subdirectory does not change the package path",
			goimagefile: "version: 1\ndir: sub\nmain: ./cmd/app\n",
			name:        "go build ./cmd/app linux/arm64",
			want:        []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", "/out/app", "./cmd/app"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convertWith(t, tc.goimagefile, tc.args, crossOpts(arm64))
			if diff := cmp.Diff(g.named(tc.name).exec().Meta.Args, inWorkspace(tc.want)); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
		})
	}
}

// TestMultiBinary checks one compile step per binary, all reading the one download step
// and the one build context.
func TestMultiBinary(t *testing.T) {
	const goimagefile = `version: 1
binaries:
  - main: ./cmd/api
  - name: worker
    main: ./cmd/jobs
    tags: [jobs]
  - main: ./cmd/migrate
`
	_, g := convert(t, goimagefile, crossOpts(arm64))
	downloads := g.namedPrefix("go mod download")
	if len(downloads) != 1 {
		t.Fatalf("%d download steps, want 1", len(downloads))
	}
	dl := downloads[0]
	var names []string
	var srcs []string
	for _, n := range g.namedPrefix("go build ") {
		names = append(names, n.name())
		if from, _ := n.mountSource("/go/pkg/mod"); from == nil || from.dgst != dl.dgst {
			t.Errorf("%s reads its modules from %v, want the one download step", n, from)
		}
		if from, _ := n.mountSource("/src"); from != nil {
			srcs = append(srcs, string(from.dgst))
		}
	}
	want := []string{"go build ./cmd/api linux/arm64", "go build ./cmd/jobs linux/arm64", "go build ./cmd/migrate linux/arm64"}
	if diff := cmp.Diff(names, want); diff != "" {
		t.Errorf("compile steps (-got +want):\n%s", diff)
	}
	if len(srcs) != 3 || srcs[0] != srcs[1] || srcs[1] != srcs[2] {
		t.Errorf("compile steps read %d different contexts, want one shared", len(srcs))
	}
	if got := flagValue(t, g.named("go build ./cmd/jobs linux/arm64").exec().Meta.Args, "-o"); got != "/out/worker" {
		t.Errorf("worker output = %q, want /out/worker", got)
	}
}

// TestConvertErrors checks what Convert refuses, and that each error names its field.
func TestConvertErrors(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		opt         Options
		wantPath    string
		wantLine    int
		wantMsg     []string
	}{
		{
			desc:        "cgo cross-compiling",
			goimagefile: "version: 1\nmain: ./cmd/app\ncgo: true\n",
			opt:         crossOpts(arm64),
			wantPath:    "cgo", wantLine: 3,
			wantMsg: []string{"cgo", "linux/amd64", "linux/arm64"},
		},
		{
			desc:        "cgo to another arm from amd64",
			goimagefile: "version: 1\ncgo: true\nmain: ./cmd/app\n",
			opt:         crossOpts(armv7),
			wantPath:    "cgo", wantLine: 2,
			wantMsg: []string{"cgo"},
		},
		{
			desc:        "cgo with the spec's first platform as target",
			goimagefile: "version: 1\nmain: ./cmd/app\ncgo: true\nplatforms: [linux/arm64]\n",
			opt:         Options{BuildPlatform: amd64},
			wantPath:    "cgo", wantLine: 3,
			wantMsg: []string{"cgo"},
		},
		{
			desc:        "windows target",
			goimagefile: minimal,
			opt:         Options{BuildPlatform: amd64, TargetPlatform: &ocispecs.Platform{OS: "windows", Architecture: "amd64"}},
			wantPath:    "platforms",
			wantMsg:     []string{"windows/amd64", "linux"},
		},
		{
			desc:        "builder image unavailable",
			goimagefile: minimal,
			opt:         Options{Images: &fakeImages{err: map[string]error{"golang:1.26": errors.New("not found")}}},
			wantPath:    "go",
			wantMsg:     []string{"golang:1.26", "not found"},
		},
		{
			desc:        "explicit builder unavailable",
			goimagefile: "version: 1\nbuilder: example.com/go:1\nmain: ./cmd/app\n",
			opt:         Options{Images: &fakeImages{err: map[string]error{"example.com/go:1": errors.New("denied")}}},
			wantPath:    "builder", wantLine: 2,
			wantMsg: []string{"example.com/go:1", "denied"},
		},
		{
			desc:        "base image unavailable",
			goimagefile: minimal + "base: example.com/base:1\n",
			opt:         Options{Images: &fakeImages{err: map[string]error{"example.com/base:1": errors.New("denied")}}},
			wantPath:    "base", wantLine: 3,
			wantMsg: []string{"example.com/base:1", "denied"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			res, err := Convert(context.Background(), resolve(t, parse(t, tc.goimagefile), nil), tc.opt)
			if err == nil {
				t.Fatalf("Convert = %v, want an error", res)
			}
			var fe *spec.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *spec.FieldError", err, err)
			}
			if fe.Path != tc.wantPath {
				t.Errorf("error path = %q, want %q (%v)", fe.Path, tc.wantPath, err)
			}
			if tc.wantLine != 0 && fe.Pos.Line != tc.wantLine {
				t.Errorf("error line = %d, want %d (%v)", fe.Pos.Line, tc.wantLine, err)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// TestCGONative checks that cgo on a native build turns CGO_ENABLED on in every step of the
// user's build; goimage-helper is always built static.
func TestCGONative(t *testing.T) {
	tests := []struct {
		desc  string
		build ocispecs.Platform
		arch  ocispecs.Platform
		cgo   string
		want  string
	}{
		{desc: "cgo native amd64", build: amd64, arch: amd64, cgo: "true", want: "1"},
		{desc: "cgo native arm64", build: arm64, arch: arm64, cgo: "true", want: "1"},
		{desc: "cgo false", build: amd64, arch: amd64, cgo: "false", want: "0"},
		{desc: "cgo false cross", build: amd64, arch: arm64, cgo: "false", want: "0"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			target := tc.arch
			_, g := convert(t, minimal+"cgo: "+tc.cgo+"\n", Options{BuildPlatform: tc.build, TargetPlatform: &target})
			for _, n := range g.execs() {
				want := tc.want
				if n.name() == helperBuildName {
					want = "0"
				}
				if got := n.env()["CGO_ENABLED"]; got != want {
					t.Errorf("%s CGO_ENABLED = %q, want %q", n, got, want)
				}
			}
		})
	}
}

// TestTargetSelection checks which platform Convert builds for when none is asked.
func TestTargetSelection(t *testing.T) {
	host := platforms.Normalize(platforms.DefaultSpec())
	tests := []struct {
		desc        string
		goimagefile string
		opt         Options
		want        string
		wantBuild   string
	}{
		{desc: "zero options: the host", goimagefile: minimal, want: platforms.Format(host), wantBuild: platforms.Format(host)},
		{desc: "spec platforms: the first", goimagefile: minimal + "platforms: [linux/arm/v7, linux/amd64]\n", opt: Options{BuildPlatform: amd64}, want: "linux/arm/v7", wantBuild: "linux/amd64"},
		{desc: "the option wins over the spec", goimagefile: minimal + "platforms: [linux/arm/v7]\n", opt: crossOpts(arm64), want: "linux/arm64", wantBuild: "linux/amd64"},
		{desc: "no target: the build platform", goimagefile: minimal, opt: Options{BuildPlatform: arm64}, want: "linux/arm64", wantBuild: "linux/arm64"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			res, g := convert(t, tc.goimagefile, tc.opt)
			n := g.named("go build ./cmd/app " + tc.want)
			if got := platformOf(n.op); got != tc.wantBuild {
				t.Errorf("compile platform = %s, want %s", got, tc.wantBuild)
			}
			if got := platforms.Format(res.Image.Platform); got != tc.want {
				t.Errorf("image platform = %s, want %s", got, tc.want)
			}
		})
	}
}
