package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAbsWorkFile(t *testing.T) {
	const in = `go 1.26.1

// the product
use (
	./cmd/app // the binary
	"./lib two"
	/abs/mod
)
use ./tools

replace example.com/a v1.0.0 => ../fork
replace (
	example.com/b => example.com/c v1.2.0
	example.com/d => "./vendor d"
)
`
	want := `go 1.26.1

// the product
use (
"/src/w/cmd/app"
"/src/w/lib two"
"/abs/mod"
)
use "/src/w/tools"

replace example.com/a v1.0.0 => "/src/fork"
replace (
example.com/b => example.com/c v1.2.0
example.com/d => "/src/w/vendor d"
)
`
	if diff := cmp.Diff(absWorkFile(in, "/src/w"), want); diff != "" {
		t.Errorf("absWorkFile (-got +want):\n%s", diff)
	}
}

// TestWorkspaceCopiesGoWork runs go build in a workspace whose module has no go.sum, as a
// project that does not commit go.work.sum is: the go command writes the module's checksums
// to go.work.sum beside go.work, which on goimage's read-only source mount fails the build.
// Through goimage-helper workspace, it writes them to the copy and the source stays as it
// was; without it, the source gets a go.work.sum (the write the mount would refuse).
func TestWorkspaceCopiesGoWork(t *testing.T) {
	bin := helperBinary(t)
	modCache := t.TempDir()
	ws := writeModule(t, map[string]string{
		"go.work":     "go 1.22\n\nuse ./app\n",
		"app/go.mod":  "module example.com/app\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n",
		"app/main.go": "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Name()) }\n",
	})
	env := append(os.Environ(), "GOMODCACHE="+modCache, "GOFLAGS=-modcacherw", "GOPROXY=file://"+filepath.ToSlash(fileProxy(t)),
		"GOSUMDB=off", "GOWORK=", "GOTOOLCHAIN=local")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = ws, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(bin, "workspace", "--", "go", "build", "-o", os.DevNull, "./app"); err != nil {
		t.Fatalf("goimage-helper workspace -- go build: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(ws, "go.work.sum")); !os.IsNotExist(err) {
		t.Errorf("go.work.sum in the source after goimage-helper workspace: %v, want none", err)
	}
	if out, err := run("go", "build", "-o", os.DevNull, "./app"); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "go.work.sum")); err != nil || !strings.Contains(string(data), "example.com/dep v1.0.0") {
		t.Errorf("go build without the helper wrote go.work.sum %q (%v); want the checksums it needs to write", data, err)
	}
}
