package llb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
)

// determinismSpec has everything that comes from a map or a list: several binaries, two
// ldflags, build and image env maps, labels and ports.
const determinismSpec = `version: 1
go: "1.26"
dir: services/api
binaries:
  - name: api
    main: ./cmd/api
    tags: [netgo, osusergo]
    ldflags: ["-X main.version=${VERSION}", "-X main.commit=${COMMIT}"]
  - name: worker
    main: ./cmd/worker
    ldflags: ["-X main.version=${VERSION}", "-X main.commit=${COMMIT}"]
  - main: ./cmd/migrate
goflags: -mod=readonly
env:
  GOEXPERIMENT: ""
  GODEBUG: http2client=0
  ALPHA: a
  OMEGA: z
  MIDDLE: m
goproxy: https://proxy.golang.org,direct
goprivate: example.com/*
base: distroless
image:
  user: nonroot
  env: {TZ: UTC, LANG: C.UTF-8, A: "1", B: "2", C: "3", D: "4"}
  labels:
    org.opencontainers.image.source: https://example.com/repo
    org.opencontainers.image.title: api
    org.opencontainers.image.vendor: example
    com.example.team: platform
    com.example.tier: backend
  expose: [8080, 9090/tcp, 53/udp]
platforms: [linux/amd64, linux/arm64]
`

// render is a definition as bytes: every op in order, then the metadata and source
// locations with their map keys sorted.
func render(t testing.TB, def *llb.Definition) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, dt := range def.Def {
		fmt.Fprintf(&b, "op %d\n", len(dt))
		b.Write(dt)
		b.WriteByte('\n')
	}
	keys := make([]string, 0, len(def.Metadata))
	for d := range def.Metadata {
		keys = append(keys, string(d))
	}
	sort.Strings(keys)
	for _, k := range keys {
		md, err := json.Marshal(def.Metadata[digestOf(k)]) // encoding/json sorts map keys
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "meta %s %s\n", k, md)
	}
	src, err := json.Marshal(def.Source)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "source %s\n", src)
	return b.Bytes()
}

// TestDeterminism converts and marshals the same spec 20 times: every run must give the same
// bytes, and so the same cache keys and image digest.
func TestDeterminism(t *testing.T) {
	data := []byte(determinismSpec)
	epoch := date("2026-03-04T05:06:07Z")
	tests := []struct {
		desc   string
		target string
	}{
		{desc: "cross to arm64", target: "linux/arm64"},
		{desc: "cross to arm/v7", target: "linux/arm/v7"},
		{desc: "native amd64", target: "linux/amd64"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var first []byte
			var firstImage []byte
			for i := range 20 {
				target := mustPlatform(t, tc.target)
				opt := Options{
					BuildPlatform:  amd64,
					TargetPlatform: &target,
					Epoch:          &epoch,
					SourceMap:      llb.NewSourceMap(nil, "Goimagefile", "yaml", data),
				}
				res, err := Convert(context.Background(), resolve(t, parse(t, determinismSpec), map[string]string{"VERSION": "1.2.3", "COMMIT": "abc", "UNUSED": "x", "OTHER": "y"}), opt)
				if err != nil {
					t.Fatal(err)
				}
				// BuildKit gives every Marshal a random local.unique attribute unless the caller
				// fixes it (the frontend's context carries a session id instead): fix it here.
				def, err := res.State.Marshal(context.Background(), llb.LocalUniqueID("goimage-test"))
				if err != nil {
					t.Fatal(err)
				}
				got := render(t, def)
				img, err := json.Marshal(res.Image)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first, firstImage = got, img
					if len(def.Def) < 8 {
						t.Fatalf("only %d ops: the spec did not convert as expected", len(def.Def))
					}
					continue
				}
				if !bytes.Equal(got, first) {
					t.Fatalf("run %d: definition differs from run 0 (-run0 +run%d):\n%s", i, i, cmp.Diff(string(first), string(got)))
				}
				if !bytes.Equal(img, firstImage) {
					t.Fatalf("run %d: image config differs from run 0 (-run0 +run%d):\n%s", i, i, cmp.Diff(string(firstImage), string(img)))
				}
			}
		})
	}
}

// TestDeterminismOrder checks the env order itself, not only its stability: sorted keys,
// so that two frontends (or two versions) agree on the bytes.
func TestDeterminismOrder(t *testing.T) {
	_, g := convert(t, determinismSpec, crossOpts(arm64))
	var got []string
	for _, kv := range g.named("go build ./cmd/api linux/arm64").exec().Meta.Env {
		for _, k := range []string{"ALPHA=", "GODEBUG=", "GOEXPERIMENT=", "MIDDLE=", "OMEGA="} {
			if len(kv) >= len(k) && kv[:len(k)] == k {
				got = append(got, kv)
			}
		}
	}
	want := []string{"ALPHA=a", "GODEBUG=http2client=0", "GOEXPERIMENT=", "MIDDLE=m", "OMEGA=z"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("spec env order (-got +want):\n%s", diff)
	}
}
