package offline

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
)

// TestLocalTransfer solves a local source with include patterns, as dockerui and the lint
// check do: the reference serves those files and no others, and Transferred lists them.
func TestLocalTransfer(t *testing.T) {
	files := fstest.MapFS{
		"go.mod":       {Data: []byte("module m\n")},
		"go.sum":       {Data: []byte("")},
		"main.go":      {Data: []byte("package main\n")},
		"sub/go.mod":   {Data: []byte("module m/sub\n")},
		"Goimagefile":  {Data: []byte("version: 1\n")},
		"sub/other.go": {Data: []byte("package sub\n")},
	}
	c := &Client{Locals: map[string]fs.FS{"context": files}}
	def, err := llb.Local("context", llb.IncludePatterns([]string{"go.mod", "go.sum", "**/go.mod", "sub"})).Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Solve(context.Background(), client.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		t.Fatal(err)
	}
	if data, err := ref.ReadFile(context.Background(), client.ReadRequest{Filename: "go.mod"}); err != nil || string(data) != "module m\n" {
		t.Errorf("go.mod = %q, %v", data, err)
	}
	if _, err := ref.ReadFile(context.Background(), client.ReadRequest{Filename: "main.go"}); err == nil {
		t.Error("a file the patterns leave out was served")
	}
	got, err := c.Transferred("context")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"go.mod", "go.sum", "sub/go.mod", "sub/other.go"}); diff != "" {
		t.Errorf("transferred (-got +want):\n%s", diff)
	}
}

// TestResolveImageConfig checks the configurations the client answers with: pinned to the
// digest given, or to none; an image it was not given is an error.
func TestResolveImageConfig(t *testing.T) {
	pinned := digest.FromString("golang")
	c := &Client{Images: map[string]Image{
		"docker.io/library/golang:1.26": {Digest: pinned},
		"example.com/base:1":            {},
	}}
	for ref, want := range map[string]digest.Digest{"docker.io/library/golang:1.26": pinned, "example.com/base:1": ""} {
		_, dgst, dt, err := c.ResolveImageConfig(context.Background(), ref, sourceresolver.Opt{})
		if err != nil || dgst != want || len(dt) == 0 {
			t.Errorf("%s: digest %q, %d bytes, %v; want digest %q", ref, dgst, len(dt), err, want)
		}
	}
	if _, _, _, err := c.ResolveImageConfig(context.Background(), "example.com/missing:1", sourceresolver.Opt{}); err == nil {
		t.Error("an unknown image resolved")
	}
	if diff := cmp.Diff(c.Resolved(), []string{"docker.io/library/golang:1.26 linux/amd64", "example.com/base:1 linux/amd64", "example.com/missing:1 linux/amd64"}); diff != "" {
		t.Errorf("resolved (-got +want):\n%s", diff)
	}
}
