package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestInputErrors pins the problems found before decoding: bytes that are not UTF-8 and
// a second YAML document, each at the line:col an editor shows.
func TestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want Errors
	}{{
		desc: "invalid UTF-8 on line 3",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image: {labels: {a: \"caf\xe9\"}}\n",
		want: Errors{{Pos: Pos{3, 25}, Msg: "invalid UTF-8: byte 0xe9 is not part of a character; save the file as UTF-8"}},
	}, {
		desc: "columns count the characters before the bad byte, not their bytes",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image: {labels: {café: \"☕\xff\"}}\n",
		want: Errors{{Pos: Pos{3, 26}, Msg: "invalid UTF-8: byte 0xff is not part of a character; save the file as UTF-8"}},
	}, {
		desc: "a character cut short",
		in:   "version: 1\nmain: ./cmd/app\n# \xe2\x98\n",
		want: Errors{{Pos: Pos{3, 3}, Msg: "invalid UTF-8: byte 0xe2 is not part of a character; save the file as UTF-8"}},
	}, {
		desc: "CRLF, a lone CR and a byte order mark count as yaml.v3 counts them",
		in:   "\ufeffversion: 1\r\nmain: ./cmd/app\r# \x80\r\n",
		want: Errors{{Pos: Pos{3, 3}, Msg: "invalid UTF-8: byte 0x80 is not part of a character; save the file as UTF-8"}},
	}, {
		desc: "UTF-16",
		in:   "\xff\xfev\x00e\x00r\x00",
		want: Errors{{Pos: Pos{1, 1}, Msg: "the file is UTF-16: save it as UTF-8"}},
	}, {
		desc: "a second document",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"---\n" +
			"base: scratch\n",
		want: Errors{{Pos: Pos{3, 1}, Msg: "a second YAML document starts here: a Goimagefile is one document"}},
	}, {
		desc: "an empty second document",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"--- # end\n",
		want: Errors{{Pos: Pos{3, 1}, Msg: "a second YAML document starts here: a Goimagefile is one document"}},
	}, {
		desc: "a second document after an end marker is not YAML",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"...\n" +
			"base: scratch\n",
		want: Errors{{Pos: Pos{3, 1}, Msg: "invalid YAML: did not find expected <document start>"}},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			var got Errors
			if !errors.As(err, &got) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("Parse errors (-got +want):\n%s", diff)
			}
		})
	}
}

// TestOneDocumentMarkers checks that the markers of a single document stay legal.
func TestOneDocumentMarkers(t *testing.T) {
	for _, in := range []string{
		"---\nversion: 1\nmain: ./cmd/app\n",
		"version: 1\nmain: ./cmd/app\n...\n",
		"--- # start\nversion: 1\nmain: ./cmd/app\n...\n# after the end\n",
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
}

// TestUTF8LinesAgreeWithYAML checks checkUTF8's line counting against yaml.v3's own, on
// every line break yaml.v3 knows: a position from one must mean the same as from the other.
func TestUTF8LinesAgreeWithYAML(t *testing.T) {
	for _, brk := range []string{"\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029"} {
		in := "a: 1" + brk + "bb: 2" + brk + "ccc: 3"
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(in), &doc); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		last := doc.Content[0].Content[5] // the value 3
		want := Pos{last.Line, last.Column}
		got := checkUTF8([]byte(in[:len(in)-1] + "\xff"))
		if got == nil || got.Pos != want {
			t.Errorf("line break %q: checkUTF8 = %v, want the position yaml.v3 gives the last value, %v", brk, got, want)
		}
	}
}
