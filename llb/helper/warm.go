package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// warm runs a command that fills a cache. Its failure is reported but does not fail the
// step: the build step that follows compiles whatever the cache lacks, and reports a real
// error at the Goimagefile line of the binary.
func warm(args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: goimage-helper warm -- CMD ARG...")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "goimage: warming the cache failed (%v); the build goes on without it\n", err)
	}
	return nil
}
