package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFieldErrors pins Pos, Path and Msg of each problem separately: the golden files
// compare rendered text, where a wrong column can hide behind a right-looking message, and
// the frontend turns Pos into the source range that buildx underlines.
func TestFieldErrors(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want Errors
	}{{
		desc: "unknown nested field points at the key, not the value",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - main: ./cmd/app\n" +
			"    ldflag: [-s]\n",
		want: Errors{{Pos: Pos{4, 5}, Path: "binaries[0].ldflag", Msg: `unknown field (did you mean "ldflags"?)`}},
	}, {
		desc: "type errors point at the offending value, inside flow collections too",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image: {entrypoint: [/app, [x]], cmd: {a: b}}\n" +
			"cgo: on\n",
		want: Errors{
			{Pos: Pos{3, 28}, Path: "image.entrypoint[1]", Msg: "want a string, got a list"},
			{Pos: Pos{3, 39}, Path: "image.cmd", Msg: "want a list, got a mapping"},
			{Pos: Pos{4, 6}, Path: "cgo", Msg: `want true or false, got "on"`},
		},
	}, {
		desc: "missing version points at the document's first key",
		in: "# syntax=goimage/frontend:1\n" +
			"\n" +
			"  main: ./cmd/app\n",
		want: Errors{{Pos: Pos{3, 3}, Path: "version", Msg: "required: add `version: 1`"}},
	}, {
		desc: "empty file",
		in:   "",
		want: Errors{{Pos: Pos{1, 1}, Path: "version", Msg: "required (the file is empty)"}},
	}, {
		desc: "YAML scanner error keeps its line; the column is unknown and given as 1",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image:\n" +
			"\tuser: root\n",
		want: Errors{{Pos: Pos{4, 1}, Msg: "invalid YAML: found character that cannot start any token"}},
	}, {
		desc: "YAML error without a line has the zero Pos",
		in:   "version: 1\nmain: ./cmd/app\x00\n",
		want: Errors{{Msg: "invalid YAML: control characters are not allowed"}},
	}, {
		desc: "a defaulted name is reported at its binary, the nearest spelled-out ancestor",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - main: ./server\n" +
			"  -   main: ./cmd/server\n",
		want: Errors{{Pos: Pos{4, 7}, Path: "binaries[1].name", Msg: `"server" is used by another binary`}},
	}, {
		desc: "a missing main is reported at its binary",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - name: a\n" +
			"    main: ./a\n" +
			"  - {name: b}\n",
		want: Errors{{Pos: Pos{5, 5}, Path: "binaries[1].main", Msg: "required: the package to build, such as ./cmd/app"}},
	}, {
		desc: "validation errors come out in file order, not in the order validate checks them",
		in: "image: {workdir: tmp}\n" +
			"platforms: [linux/amd64, plan9/386]\n" +
			"version: 3\n" +
			"dir: /abs\n" +
			"main: ./cmd/app\n",
		want: Errors{
			{Pos: Pos{1, 18}, Path: "image.workdir", Msg: `want an absolute path, got "tmp"`},
			{Pos: Pos{2, 26}, Path: "platforms[1]", Msg: `"plan9/386": only linux images are supported`},
			{Pos: Pos{3, 10}, Path: "version", Msg: "unsupported version 3: this frontend reads version 1"},
			{Pos: Pos{4, 6}, Path: "dir", Msg: `"/abs" is absolute: give a path relative to the build context`},
		},
	}, {
		// yaml.v3 counts columns in characters; an editor does too, so a multi-byte
		// label before the error must not push the column to the right.
		desc: "columns count characters, not bytes",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image: {labels: {café: ☕☕}, user: \"a b\"}\n",
		want: Errors{{Pos: Pos{3, 35}, Path: "image.user", Msg: `want nonroot, root, a uid or uid:gid, got "a b"`}},
	}, {
		desc: "CRLF line endings count as one line break",
		in:   "version: 1\r\nmain: ./cmd/app\r\nbase: scratch\r\nimage:\r\n  user: app\r\n",
		want: Errors{{Pos: Pos{5, 9}, Path: "image.user", Msg: `scratch has no /etc/passwd to look "app" up in: use a uid or uid:gid`}},
	}, {
		desc: "a byte order mark does not shift the first line's columns",
		in:   "\ufeffversion: 7\nmain: ./cmd/app\n",
		want: Errors{{Pos: Pos{1, 10}, Path: "version", Msg: "unsupported version 7: this frontend reads version 1"}},
	}, {
		desc: "over-size input has no position: nothing of it was read",
		in:   strings.Repeat("#", MaxSize+1),
		want: Errors{{Msg: "file is 262145 bytes, over the 262144 byte limit"}},
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			var got Errors
			if !errors.As(err, &got) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if diff := cmp.Diff(got, tc.want, ignoreEnd); diff != "" {
				t.Errorf("Parse errors (-got +want):\n%s", diff)
			}
		})
	}
}

func TestErrorsText(t *testing.T) {
	for _, tc := range []struct {
		desc string
		errs Errors
		want string
	}{{
		desc: "one problem stays on one line",
		errs: Errors{{Pos: Pos{3, 7}, Path: "main", Msg: "bad"}},
		want: "Goimagefile: 3:7: main: bad",
	}, {
		desc: "unknown position and document-wide problems leave out what they lack",
		errs: Errors{{Msg: "too big"}},
		want: "Goimagefile: too big",
	}, {
		desc: "several problems are counted and indented one per line",
		errs: Errors{
			{Pos: Pos{1, 1}, Msg: "first"},
			{Path: "image.user", Msg: "second"},
		},
		want: "Goimagefile: 2 problems:\n  1:1: first\n  image.user: second",
	}} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.errs.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}
