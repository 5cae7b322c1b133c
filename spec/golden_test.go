package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update rewrites the golden files instead of comparing with them; review the diff
// (git diff spec/testdata) before committing, since a golden file is only as right as
// the reading it was given.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden is what a good Goimagefile renders to: the Spec after defaults, and where each
// field the file spells out stands, so that a golden file also pins line:col tracking.
type golden struct {
	Spec      *Spec
	Positions map[string]string
}

// render is the golden rendering of a parsed Spec. encoding/json sorts map keys, so the
// rendering does not depend on map iteration order.
func render(t *testing.T, s *Spec) []byte {
	t.Helper()
	g := golden{Spec: s, Positions: map[string]string{}}
	for p, pos := range s.positions {
		g.Positions[p] = pos.String()
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// inputs lists the *.yaml files of a testdata directory; a missing or empty directory
// would make the table tests pass vacuously, so it is a failure.
func inputs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no testdata/%s/*.yaml files", dir)
	}
	return files
}

// checkGolden compares got with the file's sibling .golden, or rewrites it under -update.
func checkGolden(t *testing.T, yamlFile string, got []byte) {
	t.Helper()
	goldenFile := strings.TrimSuffix(yamlFile, ".yaml") + ".golden"
	if *update {
		if err := os.WriteFile(goldenFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (run go test ./spec/ -update to create it)", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("%s mismatch (-got +want):\n%s", goldenFile, diff)
	}
}

func TestGoodFiles(t *testing.T) {
	for _, file := range inputs(t, "good") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkGolden(t, file, render(t, s))
		})
	}
}

func TestBadFiles(t *testing.T) {
	for _, file := range inputs(t, "bad") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(data)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got %+v", s)
			}
			if s != nil {
				t.Errorf("Parse returned a Spec along with the error: callers may use it by mistake")
			}
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want Errors so that the frontend can attach source ranges", err)
			}
			checkGolden(t, file, []byte(err.Error()+"\n"))
		})
	}
}

// TestGoldenFilesHaveInputs catches a golden file left behind by a renamed or deleted
// input: it would never be compared again, and its content would mislead a reader.
func TestGoldenFilesHaveInputs(t *testing.T) {
	for _, dir := range []string{"good", "bad"} {
		goldens, err := filepath.Glob(filepath.Join("testdata", dir, "*.golden"))
		if err != nil {
			t.Fatal(err)
		}
		if len(goldens) == 0 {
			t.Fatalf("no testdata/%s/*.golden files", dir)
		}
		for _, g := range goldens {
			if _, err := os.Stat(strings.TrimSuffix(g, ".golden") + ".yaml"); err != nil {
				t.Errorf("%s has no input: %v", g, err)
			}
		}
	}
}

// TestSeveralProblemsAllReported holds the promise behind "all errors at once": a file
// with one problem per line gets one error per line, sorted by position even though
// validate checks fields in declaration order, not file order.
func TestSeveralProblemsAllReported(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bad", "several-problems.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every line whose value is wrong carries a "# bad" comment, so the expected lines
	// come from the file itself rather than from a second list that could drift.
	var wantLines []int
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(line, "# bad") {
			wantLines = append(wantLines, i+1)
		}
	}
	if len(wantLines) < 5 {
		t.Fatalf("only %d lines marked # bad: the test file lost its problems", len(wantLines))
	}
	_, err = Parse(data)
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("Parse error = %v (%T), want Errors", err, err)
	}
	var gotLines []int
	for _, fe := range list {
		gotLines = append(gotLines, fe.Pos.Line)
	}
	if diff := cmp.Diff(gotLines, wantLines); diff != "" {
		t.Errorf("lines of the reported problems (-got +want):\n%s\nerrors:\n%v", diff, err)
	}
}

// TestOverSize generates its input: 256 KiB of testdata would be noise in the repository.
func TestOverSize(t *testing.T) {
	head := "version: 1\nmain: ./cmd/app\n"
	// Padding with comments keeps the file valid YAML, so that the size is the only thing
	// that can reject it and the boundary case below must parse.
	pad := func(size int) []byte {
		var b bytes.Buffer
		b.WriteString(head)
		for b.Len() < size {
			line := "# " + strings.Repeat("x", 77) + "\n"
			if rest := size - b.Len(); rest < len(line) {
				line = "#" + strings.Repeat("x", rest-1)
			}
			b.WriteString(line)
		}
		return b.Bytes()
	}
	if _, err := Parse(pad(MaxSize)); err != nil {
		t.Errorf("a file of exactly MaxSize bytes: %v", err)
	}
	data := pad(MaxSize + 1)
	if len(data) != MaxSize+1 {
		t.Fatalf("generated %d bytes, want %d", len(data), MaxSize+1)
	}
	_, err := Parse(data)
	const want = "Goimagefile: file is 262145 bytes, over the 262144 byte limit"
	if err == nil || err.Error() != want {
		t.Errorf("Parse(%d bytes) error = %v, want %q", len(data), err, want)
	}
}

// TestDeepNesting covers nesting the decoder never sees: yaml.v3 stops at depth 10000
// while parsing, well inside MaxSize, and the error must stay a located FieldError
// rather than a stack overflow.
func TestDeepNesting(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want string
	}{{
		desc: "flow sequences under an unknown key",
		in:   "version: 1\nmain: .\nextra: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n",
		want: "Goimagefile: 3:1: invalid YAML: exceeded max depth of 10000",
	}, {
		desc: "flow mappings under a known mapping",
		in:   "version: 1\nmain: .\nimage: " + strings.Repeat("{a: ", 10001) + "x" + strings.Repeat("}", 10001) + "\n",
		want: "Goimagefile: 3:1: invalid YAML: exceeded max depth of 10000",
	}, {
		// Below yaml.v3's limit the decoder itself rejects the first level the schema
		// does not have, so the depth of the rest is irrelevant.
		desc: "nesting below the parser's limit",
		in:   "version: 1\nmain: .\nbinaries: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
		want: "Goimagefile: 3:12: binaries[0]: want a mapping, got a list",
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			if len(tc.in) > MaxSize {
				t.Fatalf("input is %d bytes: the size limit would hide the nesting", len(tc.in))
			}
			_, err := Parse([]byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDeterministic guards the rendering the frontend's cache keys are built from:
// a Spec must not carry map-order or other run-to-run variation.
func TestDeterministic(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "good", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := range 20 {
		s, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		got := render(t, s)
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("parse %d renders differently (-got +first):\n%s", i, cmp.Diff(string(got), string(first)))
		}
	}
	// The error text is what users compare between runs too.
	bad, err := os.ReadFile(filepath.Join("testdata", "bad", "several-problems.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, want := Parse(bad)
	for i := range 20 {
		if _, err := Parse(bad); err == nil || want == nil || err.Error() != want.Error() {
			t.Fatalf("parse %d of several-problems.yaml: error %v, first run %v", i, err, want)
		}
	}
}
