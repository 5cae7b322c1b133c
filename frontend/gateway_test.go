package frontend

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"testing"
	"testing/fstest"

	"github.com/goimage/goimage/frontend/offline"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The frontend's tests run Build on the offline gateway (frontend/offline), an in-memory
// BuildKit in the spirit of the fakes BuildKit's own frontend tests use: the frontend options
// of a test, every capability, one linux/amd64 worker so the build platform never depends on
// the host, the build context from files, and the canned image configurations below.
type (
	fakeClient = offline.Client
	fakeRef    = offline.Ref
)

// workerPlatform is the fake daemon's only worker platform: the build platform.
var workerPlatform = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// newFakeClient is a gateway whose build context, and the directory the Goimagefile is read
// from, are the files of dir, as for `docker buildx build -f dir/Goimagefile dir`.
func newFakeClient(t testing.TB, dir string, opts map[string]string) *fakeClient {
	t.Helper()
	return newFakeClientFiles(dirFiles(t, dir), opts)
}

// dirFiles are the files under dir.
func dirFiles(t testing.TB, dir string) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path.Join(dir, name))
		files[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// newFakeClientFiles is a gateway whose build context is files.
func newFakeClientFiles(files fstest.MapFS, opts map[string]string) *fakeClient {
	images := map[string]offline.Image{}
	for ref, cfg := range fakeImages {
		// A digest of its own for each image, as a registry gives it.
		dt, _ := json.Marshal(cfg) // a configuration always marshals
		images[ref] = offline.Image{Config: cfg, Digest: digest.FromBytes(dt)}
	}
	return &fakeClient{
		Opts:     opts,
		Locals:   map[string]fs.FS{"context": files, "dockerfile": files},
		Images:   images,
		Platform: workerPlatform,
	}
}

// decodeOps are the ops of a definition by digest.
func decodeOps(def *pb.Definition) (map[digest.Digest]*pb.Op, error) {
	ops := map[digest.Digest]*pb.Op{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, err
		}
		ops[digest.FromBytes(dt)] = &op
	}
	if len(ops) == 0 {
		return nil, errors.New("no ops")
	}
	return ops, nil
}

// fakeImages are the image configurations the fake registry holds, by normalized reference.
var fakeImages = map[string]dockerspec.DockerOCIImageConfig{
	"docker.io/library/golang:1.26": {ImageConfig: ocispecs.ImageConfig{
		Env:        []string{"PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOLANG_VERSION=1.26.0", "GOTOOLCHAIN=local", "GOPATH=/go"},
		Cmd:        []string{"bash"},
		WorkingDir: "/go",
	}},
	"gcr.io/distroless/static-debian12:nonroot": {ImageConfig: ocispecs.ImageConfig{
		User:       "65532",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		WorkingDir: "/home/nonroot",
	}},
	"example.com/base:1": {ImageConfig: ocispecs.ImageConfig{
		Env:    []string{"PATH=/bin", "BASE=example"},
		Labels: map[string]string{"from": "example.com/base"},
	}},
}
