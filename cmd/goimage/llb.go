package main

import (
	"context"
	"fmt"
	"io"
	"os"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/spec"
	"github.com/moby/buildkit/client/llb"
)

// runLLB writes the definition for a Goimagefile: the same graph the frontend builds, with
// the context as a local source named "context" and base images unresolved.
func runLLB(ctx context.Context, w io.Writer, args []string) error {
	s, file, err := readSpec("llb", args)
	if err != nil {
		return err
	}
	res, err := goimagellb.Convert(ctx, s, goimagellb.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return fmt.Errorf("marshal LLB: %w", err)
	}
	return llb.WriteTo(def, w)
}

// readSpec reads and parses the one optional FILE argument of a command, default Goimagefile.
func readSpec(cmd string, args []string) (*spec.Spec, string, error) {
	if len(args) > 1 {
		return nil, "", fmt.Errorf("%s takes at most one FILE", cmd)
	}
	file := "Goimagefile"
	if len(args) == 1 {
		file = args[0]
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	s, err := spec.Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	return s, file, nil
}
