package main

import (
	"context"
	"errors"
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
	if len(args) > 1 {
		return errors.New("llb takes at most one FILE")
	}
	file := "Goimagefile"
	if len(args) == 1 {
		file = args[0]
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s, err := spec.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
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
