package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
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
	if out := dot.String(); !strings.HasPrefix(out, "digraph goimage {") || !strings.Contains(out, `[label="go mod download"]`) || !strings.Contains(out, " -> ") {
		t.Errorf("--format dot:\n%s", out)
	}
	if err := runLLB(context.Background(), &dot, []string{"--format", "yaml", file}); err == nil {
		t.Errorf("--format yaml was accepted")
	}
}
