package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/distribution/reference"
	"github.com/goimage/goimage/frontend/offline"
	"github.com/goimage/goimage/spec"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// basePath is the PATH of the distroless images.
const basePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// knownImages are the image configurations `goimage llb` answers with: golang:<go> and the
// distroless bases as their images have them, then each --image-config REF[@DIGEST]=FILE.
func knownImages(s *spec.Spec, given []string) (map[string]offline.Image, error) {
	images := map[string]offline.Image{}
	add := func(ref string, cfg dockerspec.DockerOCIImageConfig, dgst digest.Digest) error {
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return fmt.Errorf("--image-config %s: %w", ref, err)
		}
		images[reference.TagNameOnly(named).String()] = offline.Image{Config: cfg, Digest: dgst}
		return nil
	}
	golang := dockerspec.DockerOCIImageConfig{ImageConfig: ocispecs.ImageConfig{
		Env:        []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOLANG_VERSION=" + s.Go, "GOTOOLCHAIN=local", "GOPATH=/go"},
		Cmd:        []string{"bash"},
		WorkingDir: "/go",
	}}
	nonroot := dockerspec.DockerOCIImageConfig{ImageConfig: ocispecs.ImageConfig{
		User: "65532", Env: []string{basePath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, WorkingDir: "/home/nonroot",
	}}
	for ref, cfg := range map[string]dockerspec.DockerOCIImageConfig{
		"golang:" + s.Go: golang,
		"gcr.io/distroless/static-debian12:nonroot": nonroot,
		"gcr.io/distroless/base-debian12:nonroot":   nonroot,
	} {
		if err := add(ref, cfg, ""); err != nil {
			return nil, err
		}
	}
	for _, g := range given {
		ref, file, ok := strings.Cut(g, "=")
		if !ok {
			return nil, fmt.Errorf("--image-config %q: want REF=FILE", g)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--image-config: %w", err)
		}
		var img dockerspec.DockerOCIImage
		if err := json.Unmarshal(data, &img); err != nil {
			return nil, fmt.Errorf("--image-config %s: %w", file, err)
		}
		var dgst digest.Digest
		if r, d, ok := strings.Cut(ref, "@"); ok {
			ref, dgst = r, digest.Digest(d)
			if err := dgst.Validate(); err != nil {
				return nil, fmt.Errorf("--image-config %s: %w", g, err)
			}
		}
		if err := add(ref, img.Config, dgst); err != nil {
			return nil, err
		}
	}
	return images, nil
}
