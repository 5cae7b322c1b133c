package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDuplicateKeys checks that a key set twice in one mapping is an error at the second,
// naming the first's line: yaml.v3 keeps both in a node tree, and the last used to win
// silently.
func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want Errors
	}{{
		desc: "top level",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"base: scratch\n" +
			"main: ./cmd/other\n",
		want: Errors{{Pos: Pos{4, 1}, Path: "main", Msg: "duplicate key: already set on line 2"}},
	}, {
		desc: "nested in binaries[0]",
		in: "version: 1\n" +
			"binaries:\n" +
			"  - main: ./cmd/app\n" +
			"    tags: [netgo]\n" +
			"    tags: [osusergo]\n",
		want: Errors{{Pos: Pos{5, 5}, Path: "binaries[0].tags", Msg: "duplicate key: already set on line 4"}},
	}, {
		desc: "in a flow mapping on one line",
		in: "version: 1\n" +
			"binaries: [{main: ./a, name: a, main: ./b}]\n",
		want: Errors{{Pos: Pos{2, 33}, Path: "binaries[0].main", Msg: "duplicate key: already set on line 2"}},
	}, {
		desc: "keys of a map field: env",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"env:\n" +
			"  GOEXPERIMENT: a\n" +
			"  GOEXPERIMENT: b\n",
		want: Errors{{Pos: Pos{5, 3}, Path: "env.GOEXPERIMENT", Msg: "duplicate key: already set on line 4"}},
	}, {
		desc: "the same key spelt differently is still the same key",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image:\n" +
			"  labels: {a: x, \"a\": y}\n",
		want: Errors{{Pos: Pos{4, 18}, Path: "image.labels.a", Msg: "duplicate key: already set on line 4"}},
	}, {
		desc: "every duplicate, each once, with the other problems",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"cgo: maybe\n" +
			"main: ./x\n" +
			"main: ./y\n",
		want: Errors{
			{Pos: Pos{3, 6}, Path: "cgo", Msg: `want true or false, got "maybe"`},
			{Pos: Pos{4, 1}, Path: "main", Msg: "duplicate key: already set on line 2"},
			{Pos: Pos{5, 1}, Path: "main", Msg: "duplicate key: already set on line 2"},
		},
	}, {
		// The anchored mapping is decoded three times; its duplicate is one mistake.
		desc: "in a mapping shared by aliases, reported once",
		in: "version: 1\n" +
			"main: ./cmd/app\n" +
			"image:\n" +
			"  env: &e {A: x, A: y}\n" +
			"  labels: *e\n",
		want: Errors{{Pos: Pos{4, 18}, Path: "image.env.A", Msg: "duplicate key: already set on line 4"}},
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
