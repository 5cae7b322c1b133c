package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
)

// resolveFile parses a Goimagefile and resolves it with build args, or fails the test.
func resolveFile(t *testing.T, goimagefile string, buildArgs map[string]string) *Plan {
	t.Helper()
	s, err := spec.Parse([]byte(goimagefile))
	if err != nil {
		t.Fatalf("spec.Parse: %v\n%s", err, goimagefile)
	}
	p, err := Resolve(s, Inputs{BuildArgs: buildArgs})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return p
}

// compileArgs resolves a one-binary spec (binary app, main ./cmd/app) and returns its go
// build command line.
func compileArgs(t *testing.T, goimagefile string, buildArgs map[string]string) []string {
	t.Helper()
	return resolveFile(t, goimagefile, buildArgs).Binaries[0].BuildArgs("/out")
}

// ldflagsSpec is a one-binary Goimagefile with the given ldflags, each a YAML scalar.
func ldflagsSpec(ldflags ...string) string {
	return "version: 1\nbinaries:\n  - main: ./cmd/app\n    ldflags: [" + strings.Join(ldflags, ", ") + "]\n"
}

// TestLdflags checks ${NAME} expansion and quoting: -ldflags is one argv word, and cmd/go,
// splitting it, reads each build arg value as exactly one linker argument.
func TestLdflags(t *testing.T) {
	tests := []struct {
		desc      string
		ldflags   []string // YAML scalars
		buildArgs map[string]string
		want      string   // the -ldflags value
		wantSplit []string // what cmd/go passes to the linker
	}{
		{
			desc:      "no ldflags",
			want:      "-s -w -buildid=",
			wantSplit: []string{"-s", "-w", "-buildid="},
		},
		{
			desc:      "build arg set",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "1.2.3"},
			want:      "-s -w -buildid= -X main.version=1.2.3",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=1.2.3"},
		},
		{
			desc:      "build arg unset leaves the rest of the word",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"OTHER": "x"},
			want:      "-s -w -buildid= -X main.version=",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version="},
		},
		{
			desc:      "unset build arg as a whole word is dropped",
			ldflags:   []string{`"${EXTRA}"`, `"-X main.a=b"`},
			want:      "-s -w -buildid= -X main.a=b",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.a=b"},
		},
		{
			desc:      "build arg set to empty as a whole word is dropped",
			ldflags:   []string{`"${EXTRA}"`},
			buildArgs: map[string]string{"EXTRA": ""},
			want:      "-s -w -buildid=",
			wantSplit: []string{"-s", "-w", "-buildid="},
		},
		{
			desc:      "two ldflags and two refs in one word",
			ldflags:   []string{`"-X main.version=${VERSION}-${COMMIT}"`, `"-X main.date=${DATE}"`},
			buildArgs: map[string]string{"VERSION": "1.0", "COMMIT": "abc123", "DATE": "2026-01-02"},
			want:      "-s -w -buildid= -X main.version=1.0-abc123 -X main.date=2026-01-02",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=1.0-abc123", "-X", "main.date=2026-01-02"},
		},
		{
			desc:      "value with a space stays one word",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "1.0 beta"},
			want:      "-s -w -buildid= -X 'main.version=1.0 beta'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=1.0 beta"},
		},
		{
			desc:      "injection: a value adding a flag",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "x -X main.admin=true"},
			want:      "-s -w -buildid= -X 'main.version=x -X main.admin=true'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=x -X main.admin=true"},
		},
		{
			desc:      "injection: a whole-word value that looks like a flag",
			ldflags:   []string{`"${FLAGS}"`},
			buildArgs: map[string]string{"FLAGS": "-X evil"},
			want:      "-s -w -buildid= '-X evil'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X evil"},
		},
		{
			desc:      "injection: closing a single quote",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "1' -X main.admin=true '"},
			want:      `-s -w -buildid= -X "main.version=1' -X main.admin=true '"`,
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=1' -X main.admin=true '"},
		},
		{
			desc:      "injection: closing a double quote",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": `1" -X main.admin=true "`},
			want:      `-s -w -buildid= -X 'main.version=1" -X main.admin=true "'`,
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", `main.version=1" -X main.admin=true "`},
		},
		{
			desc:      "a single quote in a literal word, quoted back",
			ldflags:   []string{`"-X main.msg=it's"`},
			want:      `-s -w -buildid= -X "main.msg=it's"`,
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.msg=it's"},
		},
		{
			desc:      "injection: newline and tab",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "1\n-X main.admin=true\t-s"},
			want:      "-s -w -buildid= -X 'main.version=1\n-X main.admin=true\t-s'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=1\n-X main.admin=true\t-s"},
		},
		{
			desc:      "shell metacharacters in a value are inert",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "$(id);`id`|&&"},
			want:      "-s -w -buildid= -X main.version=$(id);`id`|&&",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=$(id);`id`|&&"},
		},
		{
			desc:      "a value is not expanded again",
			ldflags:   []string{`"-X main.version=${VERSION}"`},
			buildArgs: map[string]string{"VERSION": "${SECRET}", "SECRET": "hunter2"},
			want:      "-s -w -buildid= -X main.version=${SECRET}",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.version=${SECRET}"},
		},
		{
			desc:      "-X with a value quoted as cmd/go reads it",
			ldflags:   []string{`"-X 'main.msg=hello world'"`},
			want:      "-s -w -buildid= -X 'main.msg=hello world'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.msg=hello world"},
		},
		{
			desc:      "-X with a double-quoted value holding a build arg",
			ldflags:   []string{`'-X "main.msg=${GREETING}, world"'`},
			buildArgs: map[string]string{"GREETING": "hello"},
			want:      "-s -w -buildid= -X 'main.msg=hello, world'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.msg=hello, world"},
		},
		{
			desc:      "-extldflags with two flags stays one linker argument",
			ldflags:   []string{"-linkmode=external", `"-extldflags '-static -lm'"`},
			want:      "-s -w -buildid= -linkmode=external -extldflags '-static -lm'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-linkmode=external", "-extldflags", "-static -lm"},
		},
		{
			desc:      "several -X in one entry, values with spaces",
			ldflags:   []string{`"-X 'main.a=one two' -X main.b=${B} -X 'main.c=${C} four'"`},
			buildArgs: map[string]string{"B": "x -s", "C": "three"},
			want:      "-s -w -buildid= -X 'main.a=one two' -X 'main.b=x -s' -X 'main.c=three four'",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.a=one two", "-X", "main.b=x -s", "-X", "main.c=three four"},
		},
		{
			desc:      "$NAME without braces is literal",
			ldflags:   []string{`"-X main.home=$HOME"`},
			buildArgs: map[string]string{"HOME": "/root"},
			want:      "-s -w -buildid= -X main.home=$HOME",
			wantSplit: []string{"-s", "-w", "-buildid=", "-X", "main.home=$HOME"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			args := compileArgs(t, ldflagsSpec(tc.ldflags...), tc.buildArgs)
			got := args[5] // after go build -trimpath -buildvcs=false -ldflags
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("-ldflags (-got +want):\n%s", diff)
			}
			split, err := splitQuoted(got)
			if err != nil {
				t.Fatalf("cmd/go cannot split -ldflags %q: %v", got, err)
			}
			if diff := cmp.Diff(split, tc.wantSplit); diff != "" {
				t.Errorf("linker arguments (-got +want):\n%s", diff)
			}
			// Nothing else in argv moved: the value never adds an argument.
			wantArgs := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", tc.want, "-o", "/out/app", "./cmd/app"}
			if diff := cmp.Diff(args, wantArgs); diff != "" {
				t.Errorf("args (-got +want):\n%s", diff)
			}
		})
	}
}

// gcflagsSpec is a one-binary Goimagefile with the given gcflags, each a YAML scalar.
func gcflagsSpec(gcflags ...string) string {
	return "version: 1\nbinaries:\n  - main: ./cmd/app\n    gcflags: [" + strings.Join(gcflags, ", ") + "]\n"
}

// goReadsGcflags reads a -gcflags value as cmd/go does (cmd/go/internal/load/flag.go,
// PerPackageFlag.set): a value not starting with '-' is PATTERN=FLAGS.
func goReadsGcflags(t *testing.T, v string) (pattern string, flags []string) {
	t.Helper()
	if !strings.HasPrefix(v, "-") {
		var ok bool
		if pattern, v, ok = strings.Cut(v, "="); !ok || pattern == "" || strings.ContainsAny(pattern[:1], `'"`) {
			t.Fatalf("cmd/go refuses -gcflags %q", v)
		}
	}
	flags, err := splitQuoted(v)
	if err != nil {
		t.Fatalf("cmd/go cannot split -gcflags %q: %v", v, err)
	}
	return pattern, flags
}

// TestGcflags checks ${NAME} expansion in gcflags: each entry is one -gcflags argument, a
// build arg value stays inside its one compiler argument, and only the Goimagefile's own
// text can give a PATTERN=.
func TestGcflags(t *testing.T) {
	tests := []struct {
		desc      string
		gcflags   []string // YAML scalars
		buildArgs map[string]string
		want      []string   // the -gcflags values
		wantRead  [][]string // each as cmd/go reads it: the pattern, then the compiler's arguments
	}{
		{
			desc:     "no build args",
			gcflags:  []string{`"all=-N -l"`, "-m"},
			want:     []string{"all=-N -l", "-m"},
			wantRead: [][]string{{"all", "-N", "-l"}, {"", "-m"}},
		},
		{
			desc:      "injection: a value adding a flag stays in its word",
			gcflags:   []string{`"-N -d=${DEBUG}"`},
			buildArgs: map[string]string{"DEBUG": "checkptr=0 -B"},
			want:      []string{"-N '-d=checkptr=0 -B'"},
			wantRead:  [][]string{{"", "-N", "-d=checkptr=0 -B"}},
		},
		{
			desc:      "injection: the same after a literal pattern",
			gcflags:   []string{`"all=-d=${DEBUG}"`},
			buildArgs: map[string]string{"DEBUG": "checkptr=0 -B"},
			want:      []string{"all='-d=checkptr=0 -B'"},
			wantRead:  [][]string{{"all", "-d=checkptr=0 -B"}},
		},
		{
			desc:      "injection: a PATTERN= after the first flag is a word, not a pattern",
			gcflags:   []string{`"-N ${GCF}"`},
			buildArgs: map[string]string{"GCF": "all=-B"},
			want:      []string{"-N all=-B"},
			wantRead:  [][]string{{"", "-N", "all=-B"}},
		},
		{
			desc:      "a plain value",
			gcflags:   []string{`"-d=${DEBUG}"`},
			buildArgs: map[string]string{"DEBUG": "checkptr=0"},
			want:      []string{"-d=checkptr=0"},
			wantRead:  [][]string{{"", "-d=checkptr=0"}},
		},
		{
			desc:     "an entry left empty passes no -gcflags",
			gcflags:  []string{`"${GCF}"`, "-m", `"all=${GCF}"`},
			want:     []string{"-m"},
			wantRead: [][]string{{"", "-m"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			args := compileArgs(t, gcflagsSpec(tc.gcflags...), tc.buildArgs)
			var wantArgs []string
			for _, v := range tc.want {
				wantArgs = append(wantArgs, "-gcflags", v)
			}
			wantBuild := append(append([]string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid="}, wantArgs...), "-o", "/out/app", "./cmd/app")
			if diff := cmp.Diff(args, wantBuild); diff != "" {
				t.Errorf("go build args (-got +want):\n%s", diff)
			}
			var read [][]string
			for _, v := range tc.want {
				pattern, flags := goReadsGcflags(t, v)
				read = append(read, append([]string{pattern}, flags...))
			}
			if diff := cmp.Diff(read, tc.wantRead); diff != "" {
				t.Errorf("cmd/go reads (-got +want):\n%s", diff)
			}
		})
	}
}

// TestFlagsRefused checks that a flag list the go command cannot read as written, or that
// a build arg would turn into more than its one word, fails Resolve at its field: nothing
// is silently changed or dropped.
func TestFlagsRefused(t *testing.T) {
	tests := []struct {
		desc        string
		goimagefile string
		buildArgs   map[string]string
		want        []string // the errors, in order
	}{
		{
			desc:        "a build arg making a gcflags PATTERN=",
			goimagefile: gcflagsSpec(`"${GCF}"`),
			buildArgs:   map[string]string{"GCF": "all=-B"},
			want:        []string{`4:15: binaries[0].gcflags[0]: "${GCF}": with build arg GCF the value starts with "a", not '-'`},
		},
		{
			desc:        "a build arg putting a space in the first gcflag",
			goimagefile: gcflagsSpec(`"-d=${DEBUG}"`),
			buildArgs:   map[string]string{"DEBUG": "checkptr=0 -B"},
			want:        []string{`4:15: binaries[0].gcflags[0]: "-d=${DEBUG}": with build arg DEBUG the first flag holds white space or a quote`},
		},
		{
			desc:        "both quotes in an ldflags build arg",
			goimagefile: ldflagsSpec(`"-X main.version=${VERSION}"`),
			buildArgs:   map[string]string{"VERSION": `a' -X main.admin="b`},
			want:        []string{`4:15: binaries[0].ldflags[0]: "main.version=${VERSION}": with build arg VERSION the word holds both single and double quotes`},
		},
		{
			desc: "every problem at once",
			goimagefile: `version: 1
binaries:
  - main: ./cmd/app
    ldflags: ["-s", "-X 'main.a=b"]
  - main: ./cmd/other
    gcflags: ["-N", "${P}=-B"]
`,
			buildArgs: map[string]string{"P": "all"},
			want: []string{
				`4:21: binaries[0].ldflags[1]: unterminated ' string`,
				`6:21: binaries[1].gcflags[1]: "${P}=-B": with build arg P the value starts with "a", not '-'`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := spec.Parse([]byte(tc.goimagefile))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Resolve(s, Inputs{BuildArgs: tc.buildArgs})
			var errs spec.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Resolve error = %v, want spec.Errors", err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %q, want %d", errs, len(tc.want))
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, e, tc.want[i])
				}
			}
		})
	}
}

// splitQuoted splits a flag list as cmd/go reads -ldflags (cmd/internal/quoted.Split).
func splitQuoted(s string) ([]string, error) {
	var f []string
	for len(s) > 0 {
		for len(s) > 0 && strings.ContainsRune(" \t\n\r", rune(s[0])) {
			s = s[1:]
		}
		if len(s) == 0 {
			break
		}
		if s[0] == '"' || s[0] == '\'' {
			quote := s[0]
			s = s[1:]
			i := strings.IndexByte(s, quote)
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", quote)
			}
			f = append(f, s[:i])
			s = s[i+1:]
			continue
		}
		i := 0
		for i < len(s) && !strings.ContainsRune(" \t\n\r", rune(s[i])) {
			i++
		}
		f = append(f, s[:i])
		s = s[i:]
	}
	return f, nil
}

// TestSplitQuoted checks this test's copy of cmd/go's flag splitting, on which the
// injection tests rely.
func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want []string
		err  bool
	}{
		{desc: "plain", in: "-s -w  -buildid=", want: []string{"-s", "-w", "-buildid="}},
		{desc: "single quotes", in: `-X 'a=b c'`, want: []string{"-X", "a=b c"}},
		{desc: "double quotes hold single", in: `"a'b c"`, want: []string{"a'b c"}},
		{desc: "unterminated", in: `'a b`, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := splitQuoted(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("splitQuoted(%q) error = %v, want error %v", tc.in, err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("splitQuoted(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
