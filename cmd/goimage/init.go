package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goimage/goimage/spec"
	"golang.org/x/mod/modfile"
)

// runInit writes DIR/Goimagefile for the module or workspace in DIR (default .): with
// --print to stdout instead, and over an existing one only with --force.
func runInit(w io.Writer, args []string) error {
	fl := flag.NewFlagSet("init", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	toStdout := fl.Bool("print", false, "write the Goimagefile to stdout")
	force := fl.Bool("force", false, "overwrite an existing Goimagefile")
	if err := fl.Parse(args); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if fl.NArg() > 1 {
		return errors.New("init takes at most one DIR")
	}
	dir := "."
	if fl.NArg() == 1 {
		dir = fl.Arg(0)
	}
	file := filepath.Join(dir, "Goimagefile")
	if _, err := os.Stat(file); err == nil && !*force && !*toStdout {
		return fmt.Errorf("%s exists: pass --force to overwrite it, or --print to see what init writes", file)
	}
	text, err := initGoimagefile(dir)
	if err != nil {
		return err
	}
	if _, err := spec.Parse([]byte(text)); err != nil {
		return fmt.Errorf("init wrote an invalid Goimagefile (a bug): %w\n%s", err, text)
	}
	if *toStdout {
		_, err := io.WriteString(w, text)
		return err
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", file)
	return nil
}

// initBinary is a binary init writes, with the notes that say where it came from.
type initBinary struct {
	Name, Main           string
	Ldflags, Tags, Flags []string
	Notes                []string
}

// initGoimagefile writes a Goimagefile for the module or workspace in dir. Its binaries come
// from a GoReleaser configuration when there is one, else from the main packages: the one
// named after the module or repository first (the entrypoint), each with the version
// variables -X can set. Where each came from is written in a comment, and so is every main
// package left out.
func initGoimagefile(dir string) (string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	mods, workspace, err := moduleDirs(dir)
	if err != nil {
		return "", err
	}
	mains, err := findMains(dir, filepath.Base(root))
	if err != nil {
		return "", err
	}
	gomod, err := os.ReadFile(filepath.Join(dir, mods[0], "go.mod"))
	if err != nil {
		return "", err
	}
	goSrc := gomod
	if workspace {
		if goSrc, err = os.ReadFile(filepath.Join(dir, "go.work")); err != nil {
			return "", err
		}
	}
	from := "the main packages of the module " + modfile.ModulePath(gomod)
	if workspace {
		from = "the main packages of the go.work modules (" + strings.Join(mods, ", ") + ")"
	}
	var bins []initBinary
	var left []string
	cgo := false
	release, file, err := readGoreleaser(dir)
	if err != nil {
		return "", err
	}
	if release != nil {
		from = file + ", which releases them"
		bins, cgo = goreleaserBinaries(release, file, filepath.Base(root), func(main string) []versionVar {
			if i := slices.IndexFunc(mains, func(m mainPackage) bool { return mainPath(m.Dir) == main }); i >= 0 {
				return mains[i].Vars
			}
			return nil
		})
		for _, m := range mains {
			if !builds(bins, m) {
				left = append(left, fmt.Sprintf("#   %s: not built by %s", mainPath(m.Dir), file))
			}
		}
	} else {
		bins, left = moduleBinaries(mains)
	}
	if len(bins) == 0 {
		return "", fmt.Errorf("no main package in %s to build", dir)
	}
	names := make([]string, len(bins))
	for i, bin := range bins {
		names[i] = bin.Name
	}
	df, err := readDockerfile(dir, names)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	b.WriteString("# syntax=goimage/frontend:1\n# Written by goimage init; see the README for every field.\nversion: 1\n")
	fmt.Fprintf(&b, "go: %q\n", goVersion(goSrc))
	if _, err := os.Stat(filepath.Join(dir, "vendor", "modules.txt")); err == nil && !workspace {
		b.WriteString("vendor: true\n")
	}
	// cgo: as a GoReleaser configuration says, else on for a binary that has C files or
	// imports a module that works only with cgo.
	var cgoWhy []string
	for _, m := range mains {
		switch {
		case release != nil || !builds(bins, m):
		case m.Cgo:
			cgoWhy = append(cgoWhy, mainPath(m.Dir)+" imports \"C\"")
		case m.CgoVia != "":
			cgoWhy = append(cgoWhy, fmt.Sprintf("%s imports %s, which works only with cgo", mainPath(m.Dir), m.CgoVia))
		}
	}
	switch {
	case cgo:
		fmt.Fprintf(&b, "# %s builds with CGO_ENABLED=1.\ncgo: true\n", file)
	case len(cgoWhy) > 0:
		fmt.Fprintf(&b, "# cgo, so distroless is base-debian12 (glibc): %s.\ncgo: true\n", strings.Join(cgoWhy, "; "))
	}
	fmt.Fprintf(&b, "# Binaries: %s.\n", from)
	if release == nil {
		b.WriteString("# The one named after its module or the repository comes first (the entrypoint), then cmd/*.\n")
	}
	b.WriteString("binaries:\n")
	for _, bin := range bins {
		writeBinary(&b, bin)
	}
	if len(left) > 0 {
		b.WriteString("# Left out as not what the image ships; add any back under binaries:\n")
		b.WriteString(strings.Join(left, "\n") + "\n")
	}
	if df == nil {
		b.WriteString("base: distroless\n")
		return b.String(), nil
	}
	writeDockerfileImage(&b, df, "/"+names[0])
	return b.String(), nil
}

// writeDockerfileImage writes the base and image configuration a Dockerfile's final stage
// gives, with what init did not carry over as comments. entrypoint is goimage's default.
func writeDockerfileImage(b *strings.Builder, df *dockerfileImage, entrypoint string) {
	if df.NotTheImage != "" {
		fmt.Fprintf(b, "# Not read: the Dockerfile: %s.\nbase: distroless\n", df.NotTheImage)
		return
	}
	b.WriteString("# The base and the image configuration: the Dockerfile's final stage.\n")
	for _, n := range df.Notes {
		fmt.Fprintf(b, "# Left out: %s.\n", n)
	}
	fmt.Fprintf(b, "base: %s\n", df.Base)
	if df.TZData {
		b.WriteString("tzdata: true\n")
	}
	if df.CACerts {
		b.WriteString("cacerts: true\n")
	}
	var fields []string
	if len(df.Entrypoint) > 0 && !slices.Equal(df.Entrypoint, []string{entrypoint}) {
		fields = append(fields, "  entrypoint: "+yamlList(df.Entrypoint))
	}
	if len(df.Cmd) > 0 {
		fields = append(fields, "  cmd: "+yamlList(df.Cmd))
	}
	if df.User != "" {
		fields = append(fields, "  user: "+strconv.Quote(df.User))
	}
	if len(df.Expose) > 0 {
		fields = append(fields, "  expose: "+yamlList(df.Expose))
	}
	if len(df.Volumes) > 0 {
		fields = append(fields, "  volumes: "+yamlList(df.Volumes))
	}
	if df.Workdir != "" {
		fields = append(fields, "  workdir: "+strconv.Quote(df.Workdir))
	}
	if len(fields) > 0 {
		b.WriteString("image:\n" + strings.Join(fields, "\n") + "\n")
	}
}

// yamlList is a flow sequence of quoted strings (Go's quoting is YAML's for these).
func yamlList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// moduleBinaries are the binaries of the main packages init found, named after their
// directories (a module root after its module), each with its version variables as -X
// ldflags; and the packages left out, as comment lines.
func moduleBinaries(mains []mainPackage) (bins []initBinary, left []string) {
	seen := map[string]bool{}
	for _, m := range mains {
		if m.LeftOut != "" {
			left = append(left, fmt.Sprintf("#   %s: %s", mainPath(m.Dir), m.LeftOut))
			continue
		}
		base := binaryName(m.Dir, m.Module)
		name := base
		for i := 2; seen[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		seen[name] = true
		bin := initBinary{Name: name, Main: mainPath(m.Dir), Ldflags: ldflagsOf(m.Vars)}
		switch {
		case slices.ContainsFunc(m.Vars, func(v versionVar) bool { return v.Arg == "VERSION" }):
			bin.Notes = []string{"Its version variables, which -X sets: --build-arg VERSION=1.2.3; the build gives",
				"GOIMAGE_REVISION (the git commit) and GOIMAGE_DATE (SOURCE_DATE_EPOCH)."}
		case len(bin.Ldflags) > 0:
			bin.Notes = []string{"Its version variables, which -X sets: the build gives GOIMAGE_REVISION (the git",
				"commit) and GOIMAGE_DATE (SOURCE_DATE_EPOCH)."}
		}
		bins = append(bins, bin)
	}
	return bins, left
}

// writeBinary writes one entry of binaries, its notes as comments.
func writeBinary(b *strings.Builder, bin initBinary) {
	fmt.Fprintf(b, "  - name: %s\n    main: %s\n", bin.Name, bin.Main)
	for _, n := range bin.Notes {
		fmt.Fprintf(b, "    # %s\n", n)
	}
	for _, list := range []struct {
		field  string
		values []string
	}{{"ldflags", bin.Ldflags}, {"tags", bin.Tags}, {"flags", bin.Flags}} {
		if len(list.values) == 0 {
			continue
		}
		fmt.Fprintf(b, "    %s: %s\n", list.field, yamlList(list.values))
	}
}

// builds reports whether one of bins builds main package m.
func builds(bins []initBinary, m mainPackage) bool {
	return slices.ContainsFunc(bins, func(b initBinary) bool { return b.Main == mainPath(m.Dir) })
}

// mainPath is a main package's directory as the Goimagefile's main spells it.
func mainPath(dir string) string {
	if dir == "." {
		return "."
	}
	return "./" + dir
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
	goLine      = regexp.MustCompile(`(?m)^go (1\.\d+)`)
)

// binaryName is a main package's last path element; a module root's is the module's name.
func binaryName(dir, modPath string) string {
	if dir != "." {
		return path.Base(dir)
	}
	name := moduleName(modPath)
	if name == "" || name == "." {
		return "app"
	}
	if slices.Contains(spec.ReservedNames, name) || name == spec.TestTarget {
		return name + "-app"
	}
	return name
}
