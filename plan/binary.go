package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/goimage/goimage/spec"
)

// BaseLdflags are goimage's own linker flags, before the file's: no symbol table or DWARF
// data, and no build id, which would otherwise differ between identical builds.
var BaseLdflags = []string{"-s", "-w", "-buildid="}

// Binary is one program of the image and how go build makes it.
type Binary struct {
	// Name is the file's name, /Name in the image.
	Name string
	// Package is the main package as go build reads it (spec.Binary.Package).
	Package string
	// Tags are the build tags, with timetzdata when the file embeds the time zones.
	Tags []string
	// Ldflags is the -ldflags value: BaseLdflags, then the words of the file's entries
	// with their build args expanded, joined so that the go command reads each back.
	Ldflags string
	// Gcflags are the -gcflags values, one per entry that has flags left.
	Gcflags []string
	// Flags are the file's extra go build flags, as written.
	Flags []string
	// At is the binary's location; for the main: shorthand, main's.
	At Location
	// MainAt is the location of its main package.
	MainAt Location
}

// CompileFlags are the flags that decide how packages compile, so a binary's dependencies
// compile with them too: -tags, each -gcflags, then the extra flags.
func (b *Binary) CompileFlags() []string {
	var args []string
	if len(b.Tags) > 0 {
		args = append(args, "-tags", strings.Join(b.Tags, ","))
	}
	for _, v := range b.Gcflags {
		args = append(args, "-gcflags", v)
	}
	return append(args, b.Flags...)
}

// BuildArgs is the go build command line that writes the binary into dir. Every value is
// its own argv element: nothing from the file ever passes through a shell.
func (b *Binary) BuildArgs(dir string) []string {
	args := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", b.Ldflags}
	args = append(args, b.CompileFlags()...)
	return append(args, "-o", path.Join(dir, b.Name), b.Package)
}

// binary resolves binary i of the file with the build args, and returns the problems of
// the flag entries it had to leave out.
func (p *Plan) binary(i int, b spec.Binary, args map[string]string) (Binary, spec.Errors) {
	field := fmt.Sprintf("binaries[%d]", i)
	out := Binary{
		Name:    b.Name,
		Package: b.Package(),
		Tags:    b.Tags,
		Flags:   b.Flags,
		At:      p.At(field),
		MainAt:  p.At(field + ".main"),
	}
	if p.Spec.TZData && !slices.Contains(out.Tags, "timetzdata") {
		out.Tags = append(slices.Clone(out.Tags), "timetzdata")
	}
	var errs spec.Errors
	fail := func(f string, err error) {
		at := p.At(f)
		errs = append(errs, &spec.FieldError{Pos: at.Range.Start, End: at.Range.End, Path: f, Err: err})
	}
	words := slices.Clone(BaseLdflags)
	for j, e := range b.Ldflags {
		w, err := spec.ExpandFlagWords(e, args)
		if err != nil {
			fail(fmt.Sprintf("%s.ldflags[%d]", field, j), err)
			continue
		}
		words = append(words, w...)
	}
	// ExpandFlagWords returns only words JoinFlags can spell.
	v, err := spec.JoinFlags(words)
	if err != nil {
		fail(field+".ldflags", err)
	}
	out.Ldflags = v
	for j, e := range b.Gcflags {
		v, err := spec.GcflagsValue(e, args)
		switch {
		case err != nil:
			fail(fmt.Sprintf("%s.gcflags[%d]", field, j), err)
		case v != "":
			out.Gcflags = append(out.Gcflags, v)
		}
	}
	return out, errs
}
