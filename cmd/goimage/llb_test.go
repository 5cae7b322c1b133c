package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goimage/goimage/frontend"
	"github.com/goimage/goimage/frontend/offline"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"
)

func TestLLBFormats(t *testing.T) {
	file := "../../examples/deps/Goimagefile"
	var js bytes.Buffer
	if err := runLLB(context.Background(), &js, []string{"--format", "json", file}); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Digest string
		Name   string
		Op     struct {
			Exec *struct {
				Network string
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &list); err != nil {
		t.Fatalf("--format json is not JSON: %v", err)
	}
	found := false
	for _, o := range list {
		if strings.HasPrefix(o.Name, "go build ") {
			found = true
			if o.Op.Exec == nil || o.Op.Exec.Network != "NONE" {
				t.Errorf("%s: exec %+v, want network NONE", o.Name, o.Op.Exec)
			}
		}
	}
	if !found {
		t.Errorf("no go build op in --format json")
	}

	var dot bytes.Buffer
	if err := runLLB(context.Background(), &dot, []string{"--format", "dot", file}); err != nil {
		t.Fatal(err)
	}
	if out := dot.String(); !strings.HasPrefix(out, "digraph goimage {") || !strings.Contains(out, `[label="download github.com/google/uuid@v1.6.0"]`) || !strings.Contains(out, " -> ") {
		t.Errorf("--format dot:\n%s", out)
	}
	if err := runLLB(context.Background(), &dot, []string{"--format", "yaml", file}); err == nil {
		t.Errorf("--format yaml was accepted")
	}
}

// TestLLBIsTheFrontends checks that goimage llb prints the definition the frontend sends:
// for every example and stand-in project, the CLI's bytes equal those of the frontend's
// Build on a gateway given the same files, options and images, made here independently.
func TestLLBIsTheFrontends(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*/Goimagefile")
	more, _ := filepath.Glob("../../testdata/projects/*/Goimagefile")
	for _, file := range append(dirs, more...) {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var cli bytes.Buffer
			if err := runLLB(context.Background(), &cli, []string{"--platform", "linux/amd64", "--build-arg", "VERSION=1.2.3", file}); err != nil {
				t.Fatal(err)
			}
			s, _, err := readSpec("llb", []string{file})
			if err != nil {
				t.Fatal(err)
			}
			images, err := knownImages(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			gw := &offline.Client{
				Opts:   map[string]string{"filename": "Goimagefile", "platform": "linux/amd64", "build-arg:VERSION": "1.2.3", "target": ""},
				Locals: map[string]fs.FS{"context": os.DirFS(dir), "dockerfile": os.DirFS(dir)},
				Images: images,
			}
			if _, err := frontend.Build(context.Background(), gw); err != nil {
				t.Fatal(err)
			}
			var want *pb.Definition
			for _, req := range gw.Unread() {
				if src, _ := offline.ResultSource(req.Definition); src == nil {
					want = req.Definition
					break
				}
			}
			got := new(pb.Definition)
			if err := got.Unmarshal(cli.Bytes()); err != nil {
				t.Fatalf("the CLI's output is not a definition: %v", err)
			}
			// Equal as messages: the wire order of the metadata map is not fixed.
			if want == nil || !proto.Equal(got, want) {
				t.Errorf("goimage llb differs from the frontend's definition (%d and %d ops)", len(got.Def), len(want.GetDef()))
			}
			// The toolchain layer stands in for the builder with cgo off and no builder:.
			if !s.CGO && s.Builder == "" && !bytes.Contains(cli.Bytes(), []byte("[internal] the Go toolchain of")) {
				t.Error("goimage llb does not show the toolchain layer the frontend emits")
			}
		})
	}
}
