package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSBOM builds a program that uses a module and checks the SPDX document of its binary.
func TestSBOM(t *testing.T) {
	bin := helperBinary(t)
	proxy := fileProxy(t)
	dir := module(t)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Name()) }\n"), 0o644)
	prog := filepath.Join(t.TempDir(), "prog")
	goCmd(t, dir, []string{"GOFLAGS=-mod=mod", "GOMODCACHE=" + t.TempDir(), "GOPROXY=file://" + filepath.ToSlash(proxy), "GOSUMDB=off", "GOWORK=off"},
		"build", "-trimpath", "-o", prog, ".")

	out := filepath.Join(t.TempDir(), "sbom.spdx.json")
	cmd := exec.Command(bin, "sbom", "-o", out, "-created", "2023-11-14T22:13:20Z", prog)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sbom: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" || !strings.HasPrefix(doc.DocumentNamespace, "https://") {
		t.Errorf("document header %+v", doc)
	}
	purls := map[string]bool{}
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			purls[r.ReferenceLocator] = true
		}
	}
	for _, want := range []string{"pkg:golang/example.com/dep@v1.0.0", "pkg:golang/example.com/m"} {
		if !purls[want] {
			t.Errorf("the SBOM lacks %s: %v", want, purls)
		}
	}
	again := filepath.Join(t.TempDir(), "again.json")
	exec.Command(bin, "sbom", "-o", again, "-created", "2023-11-14T22:13:20Z", prog).Run()
	if second, _ := os.ReadFile(again); string(second) != string(data) {
		t.Errorf("two SBOMs of the same binary differ")
	}
}
