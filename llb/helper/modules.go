package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// requiredModules copies, from the module cache $GOMODCACHE into DIR, only the modules the
// dependency package's go.mod (goimage-helper deps) requires. The dependency compile reads
// that copy instead of the whole cache: BuildKit keys a read-only mount on its content, so a
// go.mod change that adds or bumps a module no build package imports (a test or tool
// dependency, a Dependabot bump of one) leaves the copy's bytes, and the compile, as they were.
func requiredModules(args []string) error {
	fl := flag.NewFlagSet("modules", flag.ContinueOnError)
	out := fl.String("o", "", "output module cache")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() != 1 {
		return errors.New("usage: goimage-helper modules -o DIR GOMOD")
	}
	from, err := goEnv("GOMODCACHE")
	if err != nil {
		return err
	}
	req, err := readRequirements(fl.Arg(0))
	if err != nil {
		return err
	}
	for _, m := range req.modules {
		if err := copyModule(from, *out, m); err != nil {
			return fmt.Errorf("module %s@%s: %w", m.path, m.version, err)
		}
	}
	if req.lazy {
		return nil
	}
	// Before go 1.17 the go command loads the whole module graph, so it reads the go.mod of
	// every module in it; those are small.
	return copyGoMods(from, *out)
}

// moduleVersion is a module at a version.
type moduleVersion struct{ path, version string }

// requirements are what a go.mod written by goimage-helper deps says: the modules required,
// with their replacements (always module versions: directory replacements are built from
// the context, never from the module cache), and whether its go line lets the go command
// load the module graph lazily.
type requirements struct {
	modules []moduleVersion
	lazy    bool
}

func readRequirements(file string) (requirements, error) {
	var req requirements
	f, err := os.Open(file)
	if err != nil {
		return req, err
	}
	defer f.Close()
	replaced := map[moduleVersion]moduleVersion{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "go":
			req.lazy = goAtLeast(fields[1], 17)
		case len(fields) == 3 && fields[0] == "require":
			req.modules = append(req.modules, moduleVersion{fields[1], fields[2]})
		case len(fields) == 6 && fields[0] == "replace" && fields[3] == "=>":
			replaced[moduleVersion{fields[1], fields[2]}] = moduleVersion{fields[4], fields[5]}
		}
	}
	// The go command reads a replaced module's replacement alone.
	for i, m := range req.modules {
		if r, ok := replaced[m]; ok {
			req.modules[i] = r
		}
	}
	return req, sc.Err()
}

// goAtLeast reports whether a go line's version is 1.minor or later.
func goAtLeast(v string, minor int) bool {
	major, rest, _ := strings.Cut(v, ".")
	m, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(m)
	return major == "1" && err == nil && n >= minor
}

// copyModule copies a module's extracted tree and its go.mod, .info and .ziphash, which is
// what a build reads of it (the go command fills go.sum from the last two).
func copyModule(from, to string, m moduleVersion) error {
	tree := escapePath(m.path) + "@" + escapePath(m.version)
	if err := copyTree(filepath.Join(from, tree), filepath.Join(to, tree)); err != nil {
		return err
	}
	base := filepath.Join("cache", "download", escapePath(m.path), "@v", escapePath(m.version))
	for _, ext := range []string{".mod", ".info", ".ziphash"} {
		err := copyFile(filepath.Join(from, base+ext), filepath.Join(to, base+ext))
		if err != nil && !(ext == ".info" && errors.Is(err, fs.ErrNotExist)) {
			return err
		}
	}
	return nil
}

// copyGoMods copies every module's go.mod file of the module cache's download directory.
func copyGoMods(from, to string) error {
	download := filepath.Join(from, "cache", "download")
	return filepath.WalkDir(download, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".mod") {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		return copyFile(p, filepath.Join(to, rel))
	})
}
