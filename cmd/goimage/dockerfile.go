package main

import (
	"fmt"
	"io"

	"github.com/goimage/goimage/dockerfile"
)

// runDockerfile prints the nearest Dockerfile of a Goimagefile. Its build args stay
// references, which the Dockerfile's build expands.
func runDockerfile(w io.Writer, args []string) error {
	p, file, err := readPlan("dockerfile", args)
	if err != nil {
		return err
	}
	out, err := dockerfile.Write(p)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	_, err = fmt.Fprint(w, out)
	return err
}
