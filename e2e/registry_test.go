package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// pushedImage is one platform's image as the registry holds it.
type pushedImage struct {
	Platform string
	// Manifest is the digest of the platform's image manifest.
	Manifest digest.Digest
	Config   dockerspec.DockerOCIImage
	// Layers are the files of each layer, in order, by path without the leading "/".
	Layers []map[string]layerFile
}

type layerFile struct {
	Mode     int64
	UID, GID int
	Type     byte
	Data     []byte
}

// file returns the topmost version of path in the image, or false when no layer has it.
func (img *pushedImage) file(path string) (layerFile, bool) {
	for i := len(img.Layers) - 1; i >= 0; i-- {
		if f, ok := img.Layers[i][path]; ok {
			return f, true
		}
	}
	return layerFile{}, false
}

// pulledImages reads ref (as the daemon names it, in the mirror) back from the registry:
// every platform of an index, or the one image of a manifest.
func pulledImages(t *testing.T, ref string) []*pushedImage {
	t.Helper()
	repo, tag, ok := strings.Cut(strings.TrimPrefix(ref, mirror+"/"), ":")
	if !ok {
		t.Fatalf("reference %q has no tag", ref)
	}
	var top struct {
		MediaType string                `json:"mediaType"`
		Manifests []ocispecs.Descriptor `json:"manifests"`
	}
	body := registryGet(t, repo, "manifests/"+tag)
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("manifest of %s: %v", ref, err)
	}
	if top.Manifests == nil {
		return []*pushedImage{readImage(t, repo, body)}
	}
	var imgs []*pushedImage
	for _, d := range top.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue // attestation manifests
		}
		imgs = append(imgs, readImage(t, repo, registryGet(t, repo, "manifests/"+d.Digest.String())))
	}
	return imgs
}

// layerMediaTypes are the media types of the layers of repo:tag in the mirror, of every
// platform of an index, attestations left out.
func layerMediaTypes(t *testing.T, repo, tag string) []string {
	t.Helper()
	var m struct {
		ocispecs.Manifest
		Manifests []ocispecs.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(registryGet(t, repo, "manifests/"+tag), &m); err != nil {
		t.Fatalf("manifest of %s:%s: %v", repo, tag, err)
	}
	var types []string
	for _, l := range m.Layers {
		types = append(types, l.MediaType)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS != "unknown" {
			types = append(types, layerMediaTypes(t, repo, d.Digest.String())...)
		}
	}
	return types
}

func readImage(t *testing.T, repo string, manifest []byte) *pushedImage {
	t.Helper()
	var m ocispecs.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatalf("image manifest in %s: %v", repo, err)
	}
	img := &pushedImage{Manifest: digest.FromBytes(manifest)}
	if err := json.Unmarshal(registryGet(t, repo, "blobs/"+m.Config.Digest.String()), &img.Config); err != nil {
		t.Fatalf("image config in %s: %v", repo, err)
	}
	img.Platform = platforms.Format(img.Config.Platform)
	for _, l := range m.Layers {
		img.Layers = append(img.Layers, readLayer(t, registryGet(t, repo, "blobs/"+l.Digest.String())))
	}
	return img
}

func readLayer(t *testing.T, blob []byte) map[string]layerFile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	return readTar(t, zr)
}

// readTar reads every entry of a tar stream, by name without "./" or a trailing "/".
func readTar(t *testing.T, r io.Reader) map[string]layerFile {
	t.Helper()
	files := map[string]layerFile{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("tar entry %s: %v", h.Name, err)
		}
		files[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = layerFile{Mode: h.Mode, UID: h.Uid, GID: h.Gid, Type: h.Typeflag, Data: data}
	}
}

// registryGet fetches a manifest or blob of repo from the workbench's registry.
func registryGet(t *testing.T, repo, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/%s", registryAddr, repo, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", strings.Join([]string{ocispecs.MediaTypeImageIndex, ocispecs.MediaTypeImageManifest,
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"}, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("registry GET %s/%s: %s %v %s", repo, path, resp.Status, err, body)
	}
	return body
}
