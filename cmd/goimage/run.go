package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/goimage/goimage/internal/imagerun"
	"github.com/moby/buildkit/client"
)

// runRun runs an image's entrypoint on the BuildKit daemon at $BUILDKIT_HOST and prints its
// output: a way to try an image where no container engine runs.
func runRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) < 1 {
		return errors.New("run takes an IMAGE and optional arguments")
	}
	host := os.Getenv("BUILDKIT_HOST")
	if host == "" {
		return errors.New("run: BUILDKIT_HOST is not set (eval \"$(hack/dev env)\")")
	}
	c, err := client.New(ctx, host)
	if err != nil {
		return fmt.Errorf("connect to buildkitd: %w", err)
	}
	defer c.Close()
	out, err := imagerun.Image(ctx, c, args[0], args[1:])
	if out != nil {
		fmt.Fprint(stdout, out.Stdout)
		fmt.Fprint(stderr, out.Stderr)
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", args[0], err)
	}
	return nil
}
