package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGuardedEnv checks the build env variables that would undo a check of the spec: each
// is refused at its value, with what to use instead.
func TestGuardedEnv(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want string
	}{
		{key: "GOENV", want: "GOENV names a go env file, which could set the variables goimage reserves: use the spec's fields"},
		{key: "GOSUMDB", want: "goimage keeps the checksum database on: for modules it cannot see, use `gonosumdb:` or `goprivate:`"},
		{key: "GONOSUMDB", want: "goimage sets GONOSUMDB itself: use `gonosumdb:`"},
		{key: "GONOSUMCHECK", want: "the go command does not read GONOSUMCHECK: to skip the checksum database for some modules, use `gonosumdb:`"},
		{key: "GONOPROXY", want: "GONOPROXY would fetch modules around `goproxy:`: use `goprivate:`, which also keeps them out of the checksum database"},
		{key: "GOAUTH", want: "credentials reach the module download only through `private:`: use `private.netrc:` or `private.ssh:`"},
		{key: "GOVCS", want: "GOVCS would let public modules use version control tools other than git and hg: list private modules in `goprivate:`, which may use any"},
		{key: "GOWORK", want: "goimage decides: the build uses the go.work at the module root (`dir:`) if there is one, the only one the module download sees"},
		{key: "GOCACHEPROG", want: "goimage sets GOCACHEPROG itself: it keeps the build cache"},
		{key: "GOFLAGS", want: "goimage sets GOFLAGS itself: use `goflags:`"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			in := "version: 1\n" +
				"main: ./cmd/app\n" +
				"env:\n" +
				"  GOEXPERIMENT: \"\"\n" +
				"  " + tc.key + ": x\n"
			_, err := Parse([]byte(in))
			want := Errors{{Pos: Pos{5, len(tc.key) + 5}, Path: "env." + tc.key, Msg: tc.want}}
			var got Errors
			if !errors.As(err, &got) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if diff := cmp.Diff(got, want, ignoreEnd); diff != "" {
				t.Errorf("Parse errors (-got +want):\n%s", diff)
			}
		})
	}
}

// TestImageEnvFree checks that image.env takes what env refuses: it is the environment of
// the running program, which no go command reads.
func TestImageEnvFree(t *testing.T) {
	var env []string
	for _, k := range append(SortedKeys(guardedEnv), reservedEnv...) {
		env = append(env, k+": x")
	}
	in := "version: 1\nmain: ./cmd/app\nimage:\n  env: {" + strings.Join(env, ", ") + "}\n"
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := len(s.Image.Env), len(guardedEnv)+len(reservedEnv); got != want {
		t.Errorf("image.env has %d variables, want %d", got, want)
	}
}

// TestTestPackagesStayInModule checks test.packages against paths that leave the module,
// which packageRe alone took: ".." is a valid directory name to it.
func TestTestPackagesStayInModule(t *testing.T) {
	for _, tc := range []struct {
		desc string
		pkg  string
		want string // empty: accepted
	}{
		{desc: "a parent directory", pkg: "./..", want: `"./.." leaves the module: give a package pattern of the module such as ./... or ./pkg/x`},
		{desc: "a sibling module", pkg: "./../other/...", want: `"./../other/..." leaves the module: give a package pattern of the module such as ./... or ./pkg/x`},
		{desc: "out after going in", pkg: "./a/../../b", want: `"./a/../../b" leaves the module: give a package pattern of the module such as ./... or ./pkg/x`},
		{desc: "without ./", pkg: "../x", want: `want a package pattern of the module such as ./... or ./pkg/x, got "../x"`},
		{desc: "absolute", pkg: "/x", want: `want a package pattern of the module such as ./... or ./pkg/x, got "/x"`},
		{desc: "in and out again stays inside", pkg: "./a/../b"},
		{desc: "the whole module", pkg: "./..."},
		{desc: "dots inside a name", pkg: "./a..b/c..."},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			in := fmt.Sprintf("version: 1\nmain: ./cmd/app\ntest:\n  packages: [%q]\n", tc.pkg)
			_, err := Parse([]byte(in))
			var want Errors
			if tc.want != "" {
				want = Errors{{Pos: Pos{4, 14}, Path: "test.packages[0]", Msg: tc.want}}
			}
			var got Errors
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if diff := cmp.Diff(got, want, ignoreEnd); diff != "" {
				t.Errorf("Parse errors (-got +want):\n%s", diff)
			}
		})
	}
}

// TestSpecRefusesInjection documents the spec's side of the boundary: values that would
// reach argv as a flag or carry a newline never get to the converter.
func TestSpecRefusesInjection(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
	}{
		{desc: "tag with a semicolon", goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [\"a;b\"]\n"},
		{desc: "tag with a newline", goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [\"a\\nb\"]\n"},
		{desc: "tag with a command substitution", goimagefile: "version: 1\nbinaries:\n  - main: ./cmd/app\n    tags: [\"$(id)\"]\n"},
		{desc: "main that is a flag", goimagefile: "version: 1\nmain: -toolexec=/bin/sh\n"},
		{desc: "main with a newline", goimagefile: "version: 1\nmain: \"./cmd\\n-x\"\n"},
		{desc: "name with a slash", goimagefile: "version: 1\nbinaries:\n  - name: ../etc/x\n    main: ./cmd/app\n"},
		{desc: "goproxy with white space", goimagefile: "version: 1\nmain: ./cmd/app\ngoproxy: \"a b\"\n"},
		{desc: "reserved build env", goimagefile: "version: 1\nmain: ./cmd/app\nenv: {GOPROXY: direct}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if s, err := Parse([]byte(tc.goimagefile)); err == nil {
				t.Errorf("spec.Parse accepted it: %+v", s.Binaries)
			}
		})
	}
}
