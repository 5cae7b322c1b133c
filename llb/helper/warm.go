package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// warm runs a command that fills a cache, in a writable copy of the directories -copy names
// (merged in order) when there are any. Its failure is reported but does not fail the step: the build step that follows
// compiles whatever the cache lacks, and reports a real error at the Goimagefile line of the
// binary.
func warm(args []string) error {
	fl := flag.NewFlagSet("warm", flag.ContinueOnError)
	var from []string
	fl.Func("copy", "run in a writable copy of this directory (repeated: merged in order)", func(dir string) error {
		from = append(from, dir)
		return nil
	})
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("usage: goimage-helper warm [-copy DIR]... -- CMD ARG...")
	}
	cmd := exec.Command(fl.Arg(0), fl.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if len(from) > 0 {
		dir, err := os.MkdirTemp("", "goimage-warm-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for _, f := range from {
			if err := copyTree(f, dir); err != nil {
				return fmt.Errorf("copy %s: %w", f, err)
			}
		}
		cmd.Dir = dir
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "goimage: warming the cache failed (%v); the build goes on without it\n", err)
	}
	return nil
}

// copyTree copies the regular files and directories of src into dst.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case fi.Mode().IsRegular():
			return copyFile(p, filepath.Join(dst, rel))
		}
		return nil
	})
}
