package llb

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

const downloadName = "go mod download"

// pick returns the given keys of env; a key env lacks is left out, so that a want map
// without it asserts that it is unset.
func pick(env map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := env[k]; ok {
			out[k] = v
		}
	}
	return out
}

// goEnvKeys are the variables the converter decides for every go command.
var goEnvKeys = []string{"GOMODCACHE", "GOCACHE", "GOPATH", "GOTOOLCHAIN", "CGO_ENABLED", "GOPROXY", "GOPRIVATE", "GOOS", "GOARCH", "GOARM", "GOAMD64"}

func TestDownloadStep(t *testing.T) {
	baseEnv := map[string]string{
		"GOMODCACHE":  "/go/pkg/mod",
		"GOCACHE":     "/go/cache",
		"GOPATH":      "/go",
		"GOTOOLCHAIN": "local",
		"CGO_ENABLED": "0",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range baseEnv {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		desc        string
		goimagefile string
		wantInclude []string
		wantCwd     string
		wantEnv     map[string]string // of goEnvKeys
		narrowed    bool              // verification narrowed: a module cache of its own
	}{
		{
			desc:        "defaults",
			goimagefile: minimal,
			wantInclude: []string{"go.mod", "go.sum", "go.work", "go.work.sum", "**/go.mod", "**/go.sum"},
			wantCwd:     "/src",
			wantEnv:     baseEnv,
		},
		{
			desc:        "module in a subdirectory",
			goimagefile: "version: 1\ndir: sub\nmain: ./cmd/app\n",
			wantInclude: []string{"sub/go.mod", "sub/go.sum", "sub/go.work", "sub/go.work.sum", "sub/**/go.mod", "sub/**/go.sum"},
			wantCwd:     "/src/sub",
			wantEnv:     baseEnv,
		},
		{
			desc:        "nested subdirectory with a trailing slash",
			goimagefile: "version: 1\ndir: services/api/\nmain: ./cmd/app\n",
			wantInclude: []string{"services/api/go.mod", "services/api/go.sum", "services/api/go.work", "services/api/go.work.sum", "services/api/**/go.mod", "services/api/**/go.sum"},
			wantCwd:     "/src/services/api",
			wantEnv:     baseEnv,
		},
		{
			desc:        "goproxy and goprivate",
			goimagefile: minimal + "goproxy: https://proxy.example.com,direct\ngoprivate: example.com/*,corp.io\n",
			narrowed:    true,
			wantInclude: []string{"go.mod", "go.sum", "go.work", "go.work.sum", "**/go.mod", "**/go.sum"},
			wantCwd:     "/src",
			wantEnv:     with("GOPROXY", "https://proxy.example.com,direct", "GOPRIVATE", "example.com/*,corp.io"),
		},
		{
			desc:        "goproxy only",
			goimagefile: minimal + "goproxy: off\n",
			wantInclude: []string{"go.mod", "go.sum", "go.work", "go.work.sum", "**/go.mod", "**/go.sum"},
			wantCwd:     "/src",
			wantEnv:     with("GOPROXY", "off"),
		},
		{
			desc:        "cgo on a native build",
			goimagefile: minimal + "cgo: true\n",
			wantInclude: []string{"go.mod", "go.sum", "go.work", "go.work.sum", "**/go.mod", "**/go.sum"},
			wantCwd:     "/src",
			wantEnv:     with("CGO_ENABLED", "1"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convert(t, tc.goimagefile, Options{BuildPlatform: amd64, TargetPlatform: &amd64})
			dl := g.named(downloadName)
			e := dl.exec()

			wantArgs := []string{helperBin, "download", "-sums", srcDir, "-cache", modProxyDir}
			if tc.narrowed {
				wantArgs = append(wantArgs, "-read", sharedModCacheDir)
			}
			if diff := cmp.Diff(e.Meta.Args, inWorkspace(wantArgs)); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
			if e.Meta.Cwd != tc.wantCwd {
				t.Errorf("cwd = %q, want %q", e.Meta.Cwd, tc.wantCwd)
			}
			if diff := cmp.Diff(pick(dl.env(), goEnvKeys...), tc.wantEnv); diff != "" {
				t.Errorf("env (-got +want):\n%s", diff)
			}
			if e.Network == pb.NetMode_NONE {
				t.Errorf("network = NONE: the download needs the module proxy")
			}
			if got := platformOf(dl.op); got != "linux/amd64" {
				t.Errorf("platform = %s, want the build platform linux/amd64", got)
			}

			// The only local input is the module files, through their own local source.
			var locals []*pb.SourceOp
			for _, in := range dl.inputs() {
				if s := in.op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, "local://") {
					locals = append(locals, s)
				}
			}
			if len(locals) != 1 {
				t.Fatalf("%d local inputs, want 1", len(locals))
			}
			name, include := localInfo(t, locals[0])
			if name != "context" {
				t.Errorf("local name = %q, want context", name)
			}
			if diff := cmp.Diff(include, tc.wantInclude); diff != "" {
				t.Errorf("include patterns (-got +want):\n%s", diff)
			}

			// That source is mounted read-only at /src.
			src := dl.mount("/src")
			if !src.Readonly {
				t.Errorf("/src is writable")
			}
			if in, _ := dl.mountSource("/src"); in == nil || in.op.GetSource() != locals[0] {
				t.Errorf("/src is mounted from %v, want the module files", in)
			}

			// The module cache is an output mount on scratch: a real layer, not a cache.
			mod := dl.mount("/go/pkg/mod")
			if mod.MountType != pb.MountType_BIND || mod.CacheOpt != nil {
				t.Errorf("/go/pkg/mod mount type = %v (cache %v), want a plain BIND mount", mod.MountType, mod.CacheOpt)
			}
			if mod.Output < 0 {
				t.Errorf("/go/pkg/mod output = %d, want an output", mod.Output)
			}
			if mod.Readonly {
				t.Errorf("/go/pkg/mod is read-only in the step that fills it")
			}
			if mod.Input != int64(pb.Empty) {
				t.Errorf("/go/pkg/mod input = %d, want scratch", mod.Input)
			}

			// It fetches through a persistent module cache, shared with no other step;
			// modcache_test.go checks which one.
			proxy := dl.mount(modProxyDir)
			if proxy.MountType != pb.MountType_CACHE || proxy.Readonly {
				t.Errorf("%s = %v, want a writable cache mount", modProxyDir, proxy)
			}
			if helper, _ := dl.mountSource(helperDir); helper == nil || helper.name() != helperBuildName {
				t.Errorf("%s is not the goimage-helper build", helperDir)
			}
		})
	}
}

// TestDownloadIgnoresSourceEdits checks that nothing but the module files reaches the
// download step: no op it depends on reads the whole build context.
func TestDownloadIgnoresSourceEdits(t *testing.T) {
	_, g := convert(t, minimal, Options{})
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if seen[string(n.dgst)] {
			return
		}
		seen[string(n.dgst)] = true
		if s := n.op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, "local://") {
			if _, include := localInfo(t, s); len(include) == 0 {
				t.Errorf("the download step depends on %s without include patterns", n)
			}
			if s.Attrs[pb.AttrSharedKeyHint] == "" {
				t.Errorf("the module files' local has no shared key hint of its own")
			}
		}
		for _, in := range n.inputs() {
			walk(in)
		}
	}
	walk(g.named(downloadName))

	// And the full context's local is a different source with a different key.
	full := g.named("[internal] load build context").source()
	mods := g.named("[internal] load go.mod and go.sum").source()
	if full.Attrs[pb.AttrSharedKeyHint] == mods.Attrs[pb.AttrSharedKeyHint] {
		t.Errorf("both locals share the key hint %q: their transfers would overwrite each other", full.Attrs[pb.AttrSharedKeyHint])
	}
}

// TestDownloadCustomContext checks that the module files come through Options.Context with
// their include patterns, as the frontend's context (with .dockerignore) needs.
func TestDownloadCustomContext(t *testing.T) {
	var calls int
	opt := Options{Context: func(opts ...llb.LocalOption) (llb.State, error) {
		calls++
		return llb.Local("main", opts...), nil
	}}
	_, g := convert(t, "version: 1\ndir: mod\nmain: ./cmd/app\n", opt)
	if calls != 2 {
		t.Errorf("Context called %d times, want 2 (module files and full context)", calls)
	}
	in, _ := g.named(downloadName).mountSource("/src")
	name, include := localInfo(t, in.source())
	if name != "main" {
		t.Errorf("module files come from local %q, want the Options.Context one", name)
	}
	if diff := cmp.Diff(include, []string{"mod/go.mod", "mod/go.sum", "mod/go.work", "mod/go.work.sum", "mod/**/go.mod", "mod/**/go.sum"}); diff != "" {
		t.Errorf("include patterns (-got +want):\n%s", diff)
	}
}

// TestBuilderEnvironment checks the builder image's configuration: its PATH and other
// variables are kept, while the cache paths are always goimage's own.
func TestBuilderEnvironment(t *testing.T) {
	images := &fakeImages{configs: map[string]*dockerspec.DockerOCIImage{
		"golang:1.26": {Config: dockerspec.DockerOCIImageConfig{}},
	}}
	images.configs["golang:1.26"].Config.Env = []string{
		"PATH=/usr/local/go/bin:/custom/bin",
		"GOPATH=/root/go",
		"GOCACHE=/root/.cache/go-build",
		"GOTOOLCHAIN=auto",
		"GOLANG_VERSION=1.26.0",
	}
	target := arm64
	_, g := convert(t, minimal, Options{BuildPlatform: amd64, TargetPlatform: &target, Images: images})

	want := map[string]string{
		"PATH":           "/usr/local/go/bin:/custom/bin",
		"GOPATH":         "/go",
		"GOCACHE":        "/go/cache",
		"GOMODCACHE":     "/go/pkg/mod",
		"GOTOOLCHAIN":    "local",
		"GOLANG_VERSION": "1.26.0",
	}
	for _, name := range []string{downloadName, "go build ./cmd/app linux/arm64"} {
		n := g.named(name)
		if diff := cmp.Diff(pick(n.env(), "PATH", "GOPATH", "GOCACHE", "GOMODCACHE", "GOTOOLCHAIN", "GOLANG_VERSION"), want); diff != "" {
			t.Errorf("%s env (-got +want):\n%s", name, diff)
		}
	}
	if !slices.Contains(images.calls, "golang:1.26 linux/amd64") {
		t.Errorf("image requests = %q, want the builder for the build platform linux/amd64", images.calls)
	}
	if slices.Contains(images.calls, "golang:1.26 linux/arm64") {
		t.Errorf("image requests = %q: the builder must never be the target platform's (emulation)", images.calls)
	}
}

// TestDefaultPath checks the PATH a builder without configuration gets.
func TestDefaultPath(t *testing.T) {
	_, g := convert(t, minimal, Options{})
	if got := g.named(downloadName).env()["PATH"]; got != defaultPath {
		t.Errorf("PATH = %q, want %q", got, defaultPath)
	}
}

// TestDownloadRoot checks where the download step runs: on the toolchain layer with the
// builder's CA bundle when it fetches from a module proxy alone, on the builder wherever it
// may run git or uses credentials.
func TestDownloadRoot(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		images      ImageSource
		want        string // "toolchain" or "builder"
	}{
		{desc: "the default proxy", goimagefile: minimal, images: golangImages(defaultPath), want: "toolchain"},
		{desc: "a proxy list that falls back to direct", goimagefile: minimal + "goproxy: https://proxy.example.com|direct\n", images: golangImages(defaultPath), want: "toolchain"},
		{desc: "direct first", goimagefile: minimal + "goproxy: direct\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "goprivate", goimagefile: minimal + "goprivate: example.com/*\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "a netrc secret", goimagefile: minimal + "private: {netrc: gitlab}\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "an SSH agent", goimagefile: minimal + "private: {ssh: true}\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "cgo", goimagefile: minimal + "cgo: true\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "an explicit builder", goimagefile: minimal + "builder: golang:1.26\n", images: golangImages(defaultPath), want: "builder"},
		{desc: "a builder without configuration", goimagefile: minimal, want: "builder"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, g := convert(t, tc.goimagefile, Options{BuildPlatform: amd64, Images: tc.images})
			n := g.named(downloadName)
			root, _ := n.mountSource("/")
			got := "other: " + root.String()
			switch {
			case root != nil && root.name() == toolchainName:
				got = "toolchain"
			case root != nil && root.op.GetSource() != nil && strings.HasSuffix(root.source().Identifier, "/golang:1.26"):
				got = "builder"
			}
			if got != tc.want {
				t.Fatalf("the download runs on %s, want %s", got, tc.want)
			}
			mounted := slices.Contains(n.mountDests(), "/etc/ssl/certs")
			if got == "builder" {
				if mounted {
					t.Errorf("the download on the builder mounts CA certificates")
				}
				return
			}
			if m := n.mount("/etc/ssl/certs"); !m.Readonly {
				t.Fatalf("CA certificates mount %v, want read-only", m)
			}
			certs, _ := n.mountSource("/etc/ssl/certs")
			cp := certs.file().Actions[0].GetCopy()
			from := certs.inputs()
			if len(from) != 1 || !strings.HasSuffix(from[0].source().Identifier, "/golang:1.26") ||
				cp.Src != "/etc/ssl/certs/ca-certificates.crt" || cp.Dest != "/ca-certificates.crt" {
				t.Errorf("CA certificates copied %s -> %s from %v, want the golang image's bundle", cp.Src, cp.Dest, from)
			}
		})
	}
}
