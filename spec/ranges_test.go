package spec

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rangesFile has a value of every kind of YAML text a Goimagefile may use.
const rangesFile = `version: 1
go: "1.26"
dir: 'sub'
binaries:
  - name: app
    main: ./cmd/app
    tags: [netgo, osusergo]
    ldflags: ["-X main.v=${V}", '-X ''main.c=x''', "-X \"main.q=y\""]
  - main: ./cmd/tool
env: {GOEXPERIMENT: "", GODEBUG: x=1}
image:
  labels:
    café: "☕ ok"
  cmd:
    - --port
    - "8080"
base: scratch
`

// TestRanges checks the range of each kind of value against the file's text: the range
// must cover exactly what an editor would select.
func TestRanges(t *testing.T) {
	s, err := Parse([]byte(rangesFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(rangesFile, "\n")
	for _, tt := range []struct {
		path, want string
	}{
		{"version", "1"},
		{"go", `"1.26"`},
		{"dir", `'sub'`},
		{"binaries[0].name", "app"},
		{"binaries[0].main", "./cmd/app"},
		{"binaries[0].tags", "[netgo, osusergo]"},
		{"binaries[0].tags[1]", "osusergo"},
		{"binaries[0].ldflags[0]", `"-X main.v=${V}"`},
		{"binaries[0].ldflags[1]", `'-X ''main.c=x'''`},
		{"binaries[0].ldflags[2]", `"-X \"main.q=y\""`},
		{"binaries[0].ldflags", `["-X main.v=${V}", '-X ''main.c=x''', "-X \"main.q=y\""]`},
		{"env", `{GOEXPERIMENT: "", GODEBUG: x=1}`},
		{"env.GODEBUG", "x=1"},
		{"image.labels.café", `"☕ ok"`},
		{"image.cmd", "- --port\n    - \"8080\""},
		{"binaries[1].name", "main: ./cmd/tool"}, // defaulted: its binary's range
		{"base", "scratch"},
	} {
		r := s.Range(tt.path)
		if got := textOf(lines, r); got != tt.want {
			t.Errorf("%s: range %v-%v covers %q, want %q", tt.path, r.Start, r.End, got, tt.want)
		}
	}
}

// textOf is the text of the file in a range.
func textOf(lines []string, r Range) string {
	if r.Start.Line == 0 {
		return ""
	}
	col := func(line string, c int) int { return byteOffset(line, c) }
	if r.Start.Line == r.End.Line {
		line := lines[r.Start.Line-1]
		return line[col(line, r.Start.Column):col(line, r.End.Column)]
	}
	parts := []string{lines[r.Start.Line-1][col(lines[r.Start.Line-1], r.Start.Column):]}
	parts = append(parts, lines[r.Start.Line:r.End.Line-1]...)
	last := lines[r.End.Line-1]
	return strings.Join(append(parts, last[:col(last, r.End.Column)]), "\n")
}

// TestRangesShorthand checks that the binary of the main: shorthand has main's range.
func TestRangesShorthand(t *testing.T) {
	s, err := Parse([]byte("version: 1\nmain: ./cmd/server\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Range{Pos{2, 7}, Pos{2, 7 + utf8.RuneCountInString("./cmd/server")}}
	for _, p := range []string{"binaries", "binaries[0]", "binaries[0].name"} {
		if got := s.Range(p); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}

// ignoreEnd compares problems by start alone: TestFieldErrorRanges checks their ends.
var ignoreEnd = cmpopts.IgnoreFields(FieldError{}, "End")

// TestFieldErrorRanges checks that a validation problem covers the whole value at its path,
// as buildx underlines it, and a defaulted field its spelled ancestor.
func TestFieldErrorRanges(t *testing.T) {
	in := "version: 1\nbinaries:\n  - main: ./cmd/app\n    name: \"bin\"\nbase: \"not a ref!\"\n"
	_, err := Parse([]byte(in))
	var got Errors
	if !errors.As(err, &got) {
		t.Fatalf("Parse error = %v, want Errors", err)
	}
	lines := strings.Split(in, "\n")
	var texts []string
	for _, fe := range got {
		texts = append(texts, fe.Path+"="+textOf(lines, fe.Range()))
	}
	want := []string{`binaries[0].name="bin"`, `base="not a ref!"`}
	if diff := cmp.Diff(texts, want); diff != "" {
		t.Errorf("problem ranges (-got +want):\n%s", diff)
	}
}
