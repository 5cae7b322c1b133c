package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// workspace runs a command with writableWorkspace's GOWORK for its working directory.
func workspace(args []string) error {
	if len(args) < 2 || args[0] != "--" {
		return errors.New("usage: goimage-helper workspace -- CMD ARG...")
	}
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	env, cleanup, err := writableWorkspace(dir)
	if err != nil {
		return err
	}
	defer cleanup()
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			cleanup()
			os.Exit(exit.ExitCode()) // the command said why
		}
		return err
	}
	return nil
}

// writableWorkspace lets the go command use the go.work of dir from a read-only source. In
// workspace mode the go command writes the checksums that no go.sum holds to go.work.sum,
// beside go.work, even with -mod=readonly; a project that does not commit go.work.sum (its
// checksums are then only the module cache's, which the download step verified) would fail
// on the read-only mount. It copies go.work and go.work.sum into a new directory, with the
// directories of its use and replace directives made absolute, and returns GOWORK naming the
// copy. Without a go.work in dir, or with GOWORK set, it returns nothing.
func writableWorkspace(dir string) (env []string, cleanup func(), err error) {
	cleanup = func() {}
	if os.Getenv("GOWORK") != "" {
		return nil, cleanup, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.work"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, cleanup, nil
	}
	if err != nil {
		return nil, cleanup, err
	}
	tmp, err := os.MkdirTemp("", "goimage-work-")
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if err := os.WriteFile(filepath.Join(tmp, "go.work"), []byte(absWorkFile(string(data), dir)), 0o644); err != nil {
		cleanup()
		return nil, func() {}, err
	}
	if err := copyFile(filepath.Join(dir, "go.work.sum"), filepath.Join(tmp, "go.work.sum")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		cleanup()
		return nil, func() {}, fmt.Errorf("go.work.sum: %w", err)
	}
	return []string{"GOWORK=" + filepath.Join(tmp, "go.work")}, cleanup, nil
}

// absWorkFile is a go.work whose relative directory paths (each use, and each replacement
// that is a directory) are made absolute against dir. Formatting and comments may change.
func absWorkFile(data, dir string) string {
	abs := func(p string) string {
		if q, err := strconv.Unquote(p); err == nil {
			p = q
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return strconv.Quote(p)
	}
	var out []string
	block := "" // the directive of the ( ) block the line is in
	for _, line := range strings.Split(data, "\n") {
		code := line
		if i := strings.Index(line, "//"); i >= 0 {
			code = line[:i]
		}
		f := workFields(code)
		switch {
		case len(f) == 0:
		case block != "" && f[0] == ")":
			block = ""
		case len(f) == 2 && f[1] == "(" && (f[0] == "use" || f[0] == "replace"):
			block = f[0]
		case block == "use":
			line = abs(f[0])
		case f[0] == "use" && len(f) == 2:
			line = "use " + abs(f[1])
		case block == "replace" || f[0] == "replace":
			if f[0] == "replace" {
				f = f[1:]
			}
			for i, w := range f {
				// A replacement after "=>" is a directory when it starts with ./ or ../
				// (or /); otherwise it is a module path and version.
				p := w
				if q, err := strconv.Unquote(w); err == nil {
					p = q
				}
				if i > 0 && f[i-1] == "=>" && (strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || filepath.IsAbs(p)) {
					f[i] = abs(w)
				}
			}
			line = strings.Join(f, " ")
			if block == "" {
				line = "replace " + line
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// workFields splits a go.work line into words as the go command does: at spaces, a
// double-quoted or back-quoted string being one word.
func workFields(line string) []string {
	var words []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '"' || c == '`':
			end := i + 1
			for end < len(line) && line[end] != c {
				if c == '"' && line[end] == '\\' {
					end++
				}
				end++
			}
			if end < len(line) {
				end++ // the closing quote
			}
			words = append(words, line[i:end])
			i = end
		default:
			end := i
			for end < len(line) && !strings.ContainsRune(" \t\r\"`", rune(line[end])) {
				end++
			}
			words = append(words, line[i:end])
			i = end
		}
	}
	return words
}
