package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goimage/goimage/spec"
)

// notShipped are path elements whose main packages are tooling, not what an image ships;
// so are elements starting with test, ending in -test or _test, or starting with . or _.
var notShipped = []string{"testdata", "example", "examples", "hack", "tools", "scripts", "test", "tests", "integration", "e2e"}

// runInit writes DIR/Goimagefile for the module in DIR (default .), refusing to overwrite one.
func runInit(w io.Writer, args []string) error {
	if len(args) > 1 {
		return errors.New("init takes at most one DIR")
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	file := filepath.Join(dir, "Goimagefile")
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("%s exists: remove it to write a new one", file)
	}
	text, err := initGoimagefile(dir)
	if err != nil {
		return err
	}
	if _, err := spec.Parse([]byte(text)); err != nil {
		return fmt.Errorf("init wrote an invalid Goimagefile (a bug): %w\n%s", err, text)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", file)
	return nil
}

// listedMain is the part of `go list -find -json` init reads.
type listedMain struct {
	ImportPath string
	Name       string
	Dir        string
	Error      *struct{ Err string }
}

var goLine = regexp.MustCompile(`(?m)^go (1\.\d+)`)

// initGoimagefile finds the main packages of the module in dir with `go list -find` (no
// downloads) and writes a Goimagefile that builds them all.
func initGoimagefile(dir string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("no module in %s: %w", dir, err)
	}
	cmd := exec.Command("go", "list", "-e", "-find", "-json=ImportPath,Name,Dir,Error", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list: %w\n%s", err, stderr.String())
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var mains []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedMain
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("go list output: %w", err)
		}
		if p.Name != "main" || p.Error != nil {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil || shippedElsewhere(rel) {
			continue
		}
		mains = append(mains, filepath.ToSlash(rel))
	}
	if len(mains) == 0 {
		return "", fmt.Errorf("no main package in %s to build", dir)
	}
	slices.Sort(mains)

	var b strings.Builder
	b.WriteString("# syntax=goimage/frontend:1\n# Written by goimage init; see the README for every field.\nversion: 1\n")
	fmt.Fprintf(&b, "go: %q\n", goVersion(gomod))
	if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil {
		b.WriteString("vendor: true\n")
	}
	b.WriteString("binaries:\n")
	seen := map[string]bool{}
	for _, m := range mains {
		name := binaryName(m, gomod)
		for i := 2; seen[name]; i++ {
			name = fmt.Sprintf("%s-%d", binaryName(m, gomod), i)
		}
		seen[name] = true
		if m != "." {
			m = "./" + m
		}
		fmt.Fprintf(&b, "  - name: %s\n    main: %s\n", name, m)
	}
	b.WriteString("base: distroless\n")
	return b.String(), nil
}

func shippedElsewhere(rel string) bool {
	for _, el := range strings.Split(filepath.ToSlash(rel), "/") {
		switch {
		case slices.Contains(notShipped, el), strings.HasPrefix(el, "test"),
			strings.HasSuffix(el, "-test"), strings.HasSuffix(el, "_test"),
			strings.HasPrefix(el, ".") && el != ".", strings.HasPrefix(el, "_"):
			return true
		}
	}
	return false
}

// goVersion is the builder's Go: goimage's default, or the module's when it asks for newer.
func goVersion(gomod []byte) string {
	m := goLine.FindSubmatch(gomod)
	if m == nil {
		return spec.DefaultGo
	}
	if minor(string(m[1])) > minor(spec.DefaultGo) {
		return string(m[1])
	}
	return spec.DefaultGo
}

func minor(v string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "1."))
	return n
}

var (
	majorSuffix = regexp.MustCompile(`/v\d+$`)
	moduleLine  = regexp.MustCompile(`(?m)^module\s+(\S+)`)
)

// binaryName is a main package's last path element; the module root's is the module's.
func binaryName(rel string, gomod []byte) string {
	if rel != "." {
		return path.Base(rel)
	}
	mod := moduleLine.FindSubmatch(gomod)
	if mod == nil {
		return "app"
	}
	name := path.Base(majorSuffix.ReplaceAllString(string(mod[1]), ""))
	if slices.Contains(spec.ReservedNames, name) || name == spec.TestTarget {
		return name + "-app"
	}
	return name
}
