package e2e

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
)

const privateModule = "example.com/private"

// privateProxy is a module proxy serving privateModule v1.0.0 only to the netrc user: what a
// company's authenticated proxy does.
type privateProxy struct {
	files    map[string][]byte // by URL path
	password string
}

func newPrivateProxy(t *testing.T) (*privateProxy, *httptest.Server) {
	t.Helper()
	gomod := []byte("module " + privateModule + "\n\ngo 1.22\n")
	src := []byte("// Package private is served only with credentials.\npackage private\n\n// Secret is what the module says.\nfunc Secret() string { return \"private module reached\" }\n")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{"go.mod": gomod, "private.go": src} {
		w, err := zw.Create(privateModule + "@v1.0.0/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	pw := make([]byte, 18)
	rand.Read(pw)
	p := &privateProxy{password: "goimage-e2e-" + hex.EncodeToString(pw), files: map[string][]byte{
		"/" + privateModule + "/@v/list":        []byte("v1.0.0\n"),
		"/" + privateModule + "/@v/v1.0.0.info": []byte(`{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`),
		"/" + privateModule + "/@v/v1.0.0.mod":  gomod,
		"/" + privateModule + "/@v/v1.0.0.zip":  buf.Bytes(),
	}}
	// The go command sends credentials over HTTPS only.
	srv := httptest.NewTLSServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *privateProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, pw, ok := r.BasicAuth(); !ok || u != "goimage" || pw != p.password {
		w.Header().Set("WWW-Authenticate", `Basic realm="modules"`)
		http.Error(w, "credentials required", http.StatusUnauthorized)
		return
	}
	data, ok := p.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

// goSum is the go.sum of a module requiring privateModule, with the go command's h1 hashes.
func (p *privateProxy) goSum(t *testing.T) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(p.files["/"+privateModule+"/@v/v1.0.0.zip"]), int64(len(p.files["/"+privateModule+"/@v/v1.0.0.zip"])))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return fmt.Sprintf("%s v1.0.0 %s\n%s v1.0.0/go.mod %s\n", privateModule, hash1(files),
		privateModule, hash1(map[string][]byte{"go.mod": p.files["/"+privateModule+"/@v/v1.0.0.mod"]}))
}

// hash1 is the go command's "h1:" hash of a file tree (golang.org/x/mod/sumdb/dirhash).
func hash1(files map[string][]byte) string {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	var summary strings.Builder
	for _, n := range names {
		fmt.Fprintf(&summary, "%x  %s\n", sha256.Sum256(files[n]), n)
	}
	sum := sha256.Sum256([]byte(summary.String()))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// trustingBuilder pushes the workbench's golang image with the test proxy's certificate as
// its only trusted one, as a company's builder image trusts its own proxy.
func trustingBuilder(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return companyBuilder(t, "proxy-builder",
		map[string]string{"proxy-ca.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))},
		"COPY proxy-ca.pem /etc/goimage-e2e/proxy-ca.pem\nENV SSL_CERT_FILE=/etc/goimage-e2e/proxy-ca.pem\n")
}

// companyBuilder pushes as name the workbench's golang image with files added by the
// Dockerfile lines, as a company's builder image adds its own settings to upstream's.
func companyBuilder(t *testing.T, name string, files map[string]string, lines string) string {
	t.Helper()
	dir := t.TempDir()
	for f, data := range files {
		write(t, filepath.Join(dir, f), data)
	}
	write(t, filepath.Join(dir, "Dockerfile"), "FROM golang:1.26\n"+lines)
	ref := imageRef(t, name)
	mustCommand(t, "buildctl", "build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--output", pushOutput(ref))
	return ref
}

// TestPrivateModuleNetrc builds a project needing a module that only an authenticated proxy
// serves: without the netrc secret the build stops naming the secret; with it the image
// runs; the secret's bytes are nowhere in the image or the exported cache; and afterwards
// neither this project without the right secret nor another project gets the module.
func TestPrivateModuleNetrc(t *testing.T) {
	c := daemon(t)
	proxy, srv := newPrivateProxy(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "Goimagefile"), fmt.Sprintf(`# syntax=goimage/frontend:1
version: 1
builder: %s
main: .
goproxy: %s
gonosumdb: %s
private:
  netrc: modules
base: scratch
`, trustingBuilder(t, srv), srv.URL, privateModule))
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26\n\nrequire "+privateModule+" v1.0.0\n")
	write(t, filepath.Join(dir, "go.sum"), proxy.goSum(t))
	write(t, filepath.Join(dir, "main.go"), "package main\n\nimport (\n\t\"fmt\"\n\n\t\""+privateModule+"\"\n)\n\nfunc main() { fmt.Println(private.Secret()) }\n")
	// The go command matches a netrc machine against the URL's host and port.
	host := strings.TrimPrefix(srv.URL, "https://")
	netrc := []byte(fmt.Sprintf("machine %s login goimage password %s\n", host, proxy.password))

	_, vs, err := solve(t, c, dir, nil)
	if err == nil {
		t.Fatalf("the build without the secret succeeded:\n%s", vs.output())
	}
	if !strings.Contains(err.Error(), "secret modules") {
		t.Errorf("the failure does not name the missing secret: %v\n%s", err, vs.output())
	}

	ref := imageRef(t, "private")
	cacheDir := t.TempDir()
	opt := client.SolveOpt{
		Exports:      []client.ExportEntry{pushExport(ref)},
		CacheExports: []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{"dest": cacheDir, "mode": "max"}}},
		Session:      []session.Attachable{secretsprovider.FromMap(map[string][]byte{"modules": netrc})},
	}
	if _, vs, err = solveOpt(t, c, dir, nil, opt); err != nil {
		t.Fatalf("the build with the secret: %v\n%s", err, vs.output())
	}
	if out := runImage(t, c, ref); !strings.Contains(out, "private module reached") {
		t.Errorf("running the image printed %q", out)
	}

	assertNowhere(t, ref, cacheDir, []byte(proxy.password))

	// What the secret fetched is the secret's: a later build without it, or with a wrong
	// one, cannot get the module from the builder's cache.
	wrong := []byte(fmt.Sprintf("machine %s login goimage password wrong\n", host))
	for _, tt := range []struct {
		desc    string
		session []session.Attachable
	}{
		{"without the secret", nil},
		{"with a wrong secret", []session.Attachable{secretsprovider.FromMap(map[string][]byte{"modules": wrong})}},
	} {
		if _, vs, err := solveOpt(t, c, dir, nil, client.SolveOpt{Session: tt.session}); err == nil {
			t.Errorf("the build %s succeeded:\n%s", tt.desc, vs.output())
		}
	}
	// Nor can another project on the same builder that has no credentials.
	other := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		write(t, filepath.Join(other, f), string(mustRead(t, filepath.Join(dir, f))))
	}
	goimagefile := string(mustRead(t, filepath.Join(dir, "Goimagefile")))
	write(t, filepath.Join(other, "Goimagefile"), strings.Replace(goimagefile, "private:\n  netrc: modules\n", "", 1))
	if _, vs, err := solve(t, c, other, nil); err == nil {
		t.Errorf("a project without credentials got the private module:\n%s", vs.output())
	}
}

// assertNowhere fails the test when a secret is in any layer, the configuration or history
// of the image ref, or any blob of the cache exported to cacheDir.
func assertNowhere(t *testing.T, ref, cacheDir string, secrets ...[]byte) {
	t.Helper()
	holds := func(data []byte) bool {
		return slices.ContainsFunc(secrets, func(s []byte) bool { return bytes.Contains(data, s) })
	}
	imgs := pulledImages(t, ref)
	for _, img := range imgs {
		for i, l := range img.Layers {
			for name, f := range l {
				if holds(f.Data) {
					t.Errorf("layer %d file /%s holds a secret", i, name)
				}
			}
		}
		if holds([]byte(fmt.Sprintf("%+v", img.Config))) {
			t.Errorf("the image configuration or history holds a secret")
		}
	}
	blobs := 0
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		blobs++
		if gz, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			if plain, err := io.ReadAll(gz); err == nil {
				data = plain
			}
		}
		if holds(data) {
			t.Errorf("the exported cache blob %s holds a secret", p)
		}
		return nil
	})
	if blobs < 5 {
		t.Errorf("the exported cache has %d files: the search above saw almost nothing", blobs)
	}
}
