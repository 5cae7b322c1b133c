package spec

import (
	"fmt"
	"strings"
)

// Pos is a 1-based line and column in the Goimagefile; the zero Pos means unknown.
type Pos struct {
	Line   int
	Column int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// FieldError is one problem with the Goimagefile, at a field path and a position: Msg says
// what is wrong, or Err, when the problem is an error from elsewhere (resolving an image,
// the build args), which errors.Is and errors.As then reach.
type FieldError struct {
	Pos  Pos
	End  Pos    // where the value at Path ends, when known (exclusive)
	Path string // "binaries[1].main"; empty for the document as a whole
	Msg  string
	Err  error
}

// Range is the problem's range in the file: the value at Path, or its start alone.
func (e *FieldError) Range() Range {
	if e.End.Line == 0 {
		return Range{Start: e.Pos, End: e.Pos}
	}
	return Range{Start: e.Pos, End: e.End}
}

// Unwrap returns the error the problem came from, if any.
func (e *FieldError) Unwrap() error { return e.Err }

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Pos.Line > 0 {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		b.WriteString(e.Msg + ": " + e.Err.Error())
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Errors is every problem Parse found, in file order.
type Errors []*FieldError

// Unwrap returns every problem, so that errors.Is and errors.As look at each.
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, fe := range e {
		errs[i] = fe
	}
	return errs
}

func (e Errors) Error() string {
	if len(e) == 1 {
		return "Goimagefile: " + e[0].Error()
	}
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = "  " + fe.Error()
	}
	return fmt.Sprintf("Goimagefile: %d problems:\n%s", len(e), strings.Join(lines, "\n"))
}

// parentPath drops the last element of a field path: "a.b[2]" -> "a.b" -> "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
