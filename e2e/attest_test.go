package e2e

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// attestations reads the in-toto statements attached to ref's images, by predicate type.
func attestations(t *testing.T, ref string) map[string]json.RawMessage {
	t.Helper()
	repo, tag, _ := strings.Cut(strings.TrimPrefix(ref, mirror+"/"), ":")
	var index ocispecs.Index
	if err := json.Unmarshal(registryGet(t, repo, "manifests/"+tag), &index); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for _, m := range index.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			continue
		}
		var manifest ocispecs.Manifest
		if err := json.Unmarshal(registryGet(t, repo, "manifests/"+m.Digest.String()), &manifest); err != nil {
			t.Fatal(err)
		}
		for _, l := range manifest.Layers {
			var statement struct {
				PredicateType string          `json:"predicateType"`
				Predicate     json.RawMessage `json:"predicate"`
			}
			if err := json.Unmarshal(registryGet(t, repo, "blobs/"+l.Digest.String()), &statement); err != nil {
				t.Fatal(err)
			}
			out[statement.PredicateType] = statement.Predicate
		}
	}
	return out
}

// TestAttestations builds with `docker buildx build --sbom=true --provenance=mode=max`: the
// SBOM is goimage's, listing exactly the modules the binary links, and provenance is there.
func TestAttestations(t *testing.T) {
	daemon(t)
	dir := example(t, "deps")
	ref := imageRef(t, "attest")
	mustCommand(t, "docker", "buildx", "build", "--progress=plain", "--sbom=true", "--provenance=mode=max",
		"--build-arg", "VERSION=1.0", "-f", filepath.Join(dir, "Goimagefile"), "--output", pushOutput(ref), dir)
	atts := attestations(t, ref)
	sbom, ok := atts["https://spdx.dev/Document"]
	if !ok {
		t.Fatalf("no SPDX attestation; predicate types: %v", keys(atts))
	}
	var doc struct {
		CreationInfo struct{ Creators []string }
		Packages     []struct{ Name, VersionInfo string }
	}
	if err := json.Unmarshal(sbom, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range doc.Packages {
		got = append(got, p.Name+"@"+p.VersionInfo)
	}
	for _, want := range []string{"github.com/google/uuid@v1.6.0", "github.com/spf13/pflag@v1.0.6"} {
		if !slices.Contains(got, want) {
			t.Errorf("the SBOM lacks %s: %v", want, got)
		}
	}
	if !slices.Contains(doc.CreationInfo.Creators, "Tool: goimage") {
		t.Errorf("the SBOM is not goimage's: creators %v", doc.CreationInfo.Creators)
	}
	if !slices.ContainsFunc(keys(atts), func(k string) bool { return strings.HasPrefix(k, "https://slsa.dev/provenance/") }) {
		t.Errorf("no provenance attestation; predicate types: %v", keys(atts))
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
