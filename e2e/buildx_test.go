package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestBuildxFlags drives the frontend through the `docker buildx build` flags a user reaches
// for (remote driver on the workbench): the subrequests, --target with each output type,
// -t with --push, and the BUILDKIT_SYNTAX override. --platform and --cache-to/--cache-from
// are TestMultiNodeBuilder's, --secret and --ssh TestPrivateModuleSSH's.
func TestBuildxFlags(t *testing.T) {
	c := daemon(t)
	dir := project(t, "service")
	file := filepath.Join(dir, "Goimagefile")
	buildx := func(t *testing.T, args ...string) string {
		t.Helper()
		args = append([]string{"buildx", "build", "--progress=plain", "-f", file}, args...)
		return mustCommand(t, "docker", append(args, dir)...)
	}

	t.Run("--call targets", func(t *testing.T) {
		out := buildx(t, "--call", "targets")
		for _, want := range []string{"api (default)", "go build ./cmd/api", "tool", "go build ./cmd/tool", "test", "go test ./..."} {
			if !strings.Contains(out, want) {
				t.Errorf("--call targets lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("--call outline", func(t *testing.T) {
		out := buildx(t, "--call", "outline")
		if !strings.Contains(out, "VERSION") {
			t.Errorf("--call outline lacks the VERSION build arg of the ldflags:\n%s", out)
		}
	})

	t.Run("--target with a local output", func(t *testing.T) {
		dest := t.TempDir()
		buildx(t, "--target", "tool", "--output", "type=local,dest="+dest)
		if _, err := os.Stat(filepath.Join(dest, "api")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--target tool exported the api binary too (stat: %v)", err)
		}
		// The binaries are static linux/amd64, the host's platform: the host runs them.
		out, err := exec.Command(filepath.Join(dest, "tool")).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "tool built with the tool tag") {
			t.Errorf("the exported tool binary: %v, printed %q", err, out)
		}
		if _, err := os.Stat(filepath.Join(dest, "etc", "api", "api.conf")); err != nil {
			t.Errorf("the image's files are not in the local output: %v", err)
		}
	})

	t.Run("oci output", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "image.tar")
		buildx(t, "--provenance=false", "--build-arg", "VERSION=3.1", "--output", "type=oci,dest="+dest)
		f, err := os.Open(dest)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files := readTar(t, f)
		var index ocispecs.Index
		if err := json.Unmarshal(files["index.json"].Data, &index); err != nil {
			t.Fatalf("index.json of the OCI layout: %v", err)
		}
		if len(index.Manifests) != 1 {
			t.Fatalf("the OCI index has %d manifests, want 1", len(index.Manifests))
		}
		blob := "blobs/" + index.Manifests[0].Digest.Algorithm().String() + "/" + index.Manifests[0].Digest.Encoded()
		var m ocispecs.Manifest
		if err := json.Unmarshal(files[blob].Data, &m); err != nil {
			t.Fatalf("the manifest %s: %v", blob, err)
		}
		var cfg ocispecs.Image
		if err := json.Unmarshal(files["blobs/sha256/"+m.Config.Digest.Encoded()].Data, &cfg); err != nil {
			t.Fatalf("the image config: %v", err)
		}
		if cfg.Config.User != "65532:65532" || len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/api" {
			t.Errorf("the OCI image's user %q and entrypoint %q, want 65532:65532 and [/api]", cfg.Config.User, cfg.Config.Entrypoint)
		}
	})

	t.Run("-t with --push", func(t *testing.T) {
		ref := imageRef(t, "buildx-push")
		buildx(t, "--provenance=false", "--build-arg", "VERSION=3.2", "-t", ref, "--push")
		if out := runImage(t, c, ref); !strings.Contains(out, "version=3.2") {
			t.Errorf("the pushed image printed %q, want version=3.2", out)
		}
	})

	t.Run("BUILDKIT_SYNTAX", func(t *testing.T) {
		// Without the # syntax= line the Dockerfile frontend would read the YAML as a
		// Dockerfile; the build arg sends it to goimage instead, as it does for buildctl.
		data := strings.Replace(string(mustRead(t, file)), "# syntax=goimage/frontend:1\n", "", 1)
		write(t, file, data)
		defer write(t, file, "# syntax=goimage/frontend:1\n"+data)
		ref := imageRef(t, "buildx-syntax")
		buildx(t, "--provenance=false", "--build-arg", "BUILDKIT_SYNTAX="+frontendSource, "--output", pushOutput(ref))
		if out := runImage(t, c, ref); !strings.Contains(out, "bonjour, api") {
			t.Errorf("the image built through BUILDKIT_SYNTAX printed %q", out)
		}
		ref = imageRef(t, "buildctl-syntax")
		mustCommand(t, "buildctl", "build", "--progress=plain", "--frontend", "dockerfile.v0",
			"--opt", "build-arg:BUILDKIT_SYNTAX="+frontendSource, "--opt", "filename=Goimagefile",
			"--local", "context="+dir, "--local", "dockerfile="+dir, "--output", pushOutput(ref))
		if out := runImage(t, c, ref); !strings.Contains(out, "bonjour, api") {
			t.Errorf("the image built by buildctl through BUILDKIT_SYNTAX printed %q", out)
		}
	})
}
