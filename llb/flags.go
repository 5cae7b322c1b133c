package llb

import (
	"fmt"
	"strings"

	"github.com/goimage/goimage/spec"
)

// gcflags are the -gcflags values of a binary, and the problems of the entries left out.
func (c *converter) gcflags(b spec.Binary) ([]string, []flagError) {
	var vals []string
	var errs []flagError
	for j, f := range b.Gcflags {
		v, err := spec.GcflagsValue(f, c.opt.BuildArgs)
		switch {
		case err != nil:
			errs = append(errs, flagError{fmt.Sprintf("gcflags[%d]", j), err})
		case v != "":
			vals = append(vals, v)
		}
	}
	return vals, errs
}

// ldflags is the -ldflags value: the base flags and the spec's, its build args expanded by
// spec.ExpandFlagWords (split like the go command splits -ldflags, then ${NAME} expanded
// inside each word) and joined with spec.JoinFlags, so cmd/go reads each build arg value
// back as part of exactly one linker argument. An entry checkFlags refuses is left out.
func (c *converter) ldflags(b spec.Binary) string {
	v, _ := c.ldflagsValue(b)
	return v
}

// ldflagsValue is ldflags, and the problems of the entries left out.
func (c *converter) ldflagsValue(b spec.Binary) (string, []flagError) {
	words := strings.Fields(baseLdflags)
	var errs []flagError
	for j, f := range b.Ldflags {
		w, err := spec.ExpandFlagWords(f, c.opt.BuildArgs)
		if err != nil {
			errs = append(errs, flagError{fmt.Sprintf("ldflags[%d]", j), err})
			continue
		}
		words = append(words, w...)
	}
	// ExpandFlagWords returns only words JoinFlags can spell.
	v, err := spec.JoinFlags(words)
	if err != nil {
		return baseLdflags, append(errs, flagError{"ldflags", err})
	}
	return v, errs
}

// flagError is a refused ldflags or gcflags entry: its field under the binary, and why.
type flagError struct {
	field string
	err   error
}

// checkFlags computes the ldflags and gcflags of every binary with the build args and
// returns every entry that cannot be passed to the go command as written, at its field:
// an unterminated quote, a word with both kinds of quote, a build arg that would make a
// -gcflags value a PATTERN=FLAGS. Convert calls it before any step is made, so that
// ldflags and compileFlags, which leave such entries out, never run with one.
func (c *converter) checkFlags() error {
	var errs spec.Errors
	for i, b := range c.spec.Binaries {
		_, lerrs := c.ldflagsValue(b)
		_, gerrs := c.gcflags(b)
		for _, e := range append(lerrs, gerrs...) {
			field := fmt.Sprintf("binaries[%d].%s", i, e.field)
			r := c.spec.Range(field)
			errs = append(errs, &spec.FieldError{Pos: r.Start, End: r.End, Path: field, Err: e.err})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
