package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The parts of SPDX 2.3 JSON an SBOM of Go binaries needs.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	Name             string       `json:"name"`
	SPDXID           string       `json:"SPDXID"`
	VersionInfo      string       `json:"versionInfo,omitempty"`
	DownloadLocation string       `json:"downloadLocation"`
	FilesAnalyzed    bool         `json:"filesAnalyzed"`
	Comment          string       `json:"comment,omitempty"`
	ExternalRefs     []spdxExtRef `json:"externalRefs,omitempty"`
	PrimaryPurpose   string       `json:"primaryPackagePurpose,omitempty"`
}

type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// sbom writes an SPDX document of the Go modules linked into each binary, read from the build
// information the binary itself carries: exact, where a scanner of the image guesses.
func sbom(args []string) error {
	fl := flag.NewFlagSet("sbom", flag.ContinueOnError)
	out := fl.String("o", "", "the SPDX JSON file to write")
	created := fl.String("created", "1970-01-01T00:00:00Z", "the document's creation time (RFC 3339)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() == 0 {
		return errors.New("usage: goimage-helper sbom -o FILE [-created TIME] BINARY...")
	}
	doc := spdxDocument{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		CreationInfo: spdxCreationInfo{Created: *created, Creators: []string{"Tool: goimage"}},
	}
	ids := map[string]bool{}
	var names []string
	for _, bin := range fl.Args() {
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			return fmt.Errorf("read the build information of %s: %w", bin, err)
		}
		name := filepath.Base(bin)
		names = append(names, name)
		binID := "SPDXRef-Binary-" + spdxID(name)
		doc.Packages = append(doc.Packages, spdxPackage{
			Name: name, SPDXID: binID, VersionInfo: info.Main.Version, DownloadLocation: "NOASSERTION",
			Comment: "built with " + info.GoVersion + " from " + info.Path, PrimaryPurpose: "APPLICATION",
		})
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", binID})
		mods := append([]*debugModule{{Path: info.Main.Path, Version: info.Main.Version}}, modules(info)...)
		mods = append(mods, &debugModule{Path: "stdlib", Version: info.GoVersion})
		for _, m := range mods {
			if m.Path == "" {
				continue
			}
			id := "SPDXRef-Package-" + spdxID(m.Path+"-"+m.Version)
			if !ids[id] {
				ids[id] = true
				doc.Packages = append(doc.Packages, spdxPackage{
					Name: m.Path, SPDXID: id, VersionInfo: m.Version, DownloadLocation: "NOASSERTION",
					ExternalRefs:   []spdxExtRef{{"PACKAGE-MANAGER", "purl", purl(m.Path, m.Version)}},
					PrimaryPurpose: "LIBRARY",
				})
			}
			doc.Relationships = append(doc.Relationships, spdxRelationship{binID, "CONTAINS", id})
		}
	}
	doc.Name = "goimage " + strings.Join(names, " ")
	body, err := json.Marshal(doc.Packages)
	if err != nil {
		return err
	}
	// The namespace is unique per content and the same for the same binaries: reproducible.
	sum := sha256.Sum256(body)
	doc.DocumentNamespace = "https://goimage.dev/spdx/" + hex.EncodeToString(sum[:])
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(*out, append(data, '\n'), 0o644)
}

type debugModule struct{ Path, Version string }

// modules are the binary's dependencies, a replaced one under its replacement, sorted.
func modules(info *buildinfo.BuildInfo) []*debugModule {
	var mods []*debugModule
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		mods = append(mods, &debugModule{Path: d.Path, Version: d.Version})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods
}

// purl is a module's package URL: pkg:golang/PATH@VERSION.
func purl(path, version string) string {
	if version == "" || version == "(devel)" {
		return "pkg:golang/" + path
	}
	return "pkg:golang/" + path + "@" + version
}

// spdxID keeps the characters an SPDX identifier allows.
func spdxID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
