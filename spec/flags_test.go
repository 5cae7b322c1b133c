package spec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goReadsFlags reads a -ldflags or -gcflags value the way the go command does
// (cmd/go/internal/load/flag.go, PerPackageFlag.set): white space around it is ignored, a
// value not starting with '-' is PATTERN=FLAGS, and the flags are split with
// cmd/internal/quoted.Split, which SplitFlags is (TestSplitFlags holds quoted.Split's own
// test cases).
func goReadsFlags(v string) (pattern string, flags []string, err error) {
	v = strings.TrimSpace(v)
	if v != "" && !strings.HasPrefix(v, "-") {
		i := strings.Index(v, "=")
		switch {
		case i < 0:
			return "", nil, fmt.Errorf("missing =<value> in <pattern>=<value>")
		case i == 0:
			return "", nil, fmt.Errorf("missing <pattern> in <pattern>=<value>")
		case v[0] == '\'' || v[0] == '"':
			return "", nil, fmt.Errorf("parameter may not start with quote character %c", v[0])
		}
		pattern, v = strings.TrimSpace(v[:i]), v[i+1:]
	}
	flags, err = SplitFlags(v)
	return pattern, flags, err
}

func TestSplitFlags(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		s       string
		want    []string
		wantErr string
	}{
		// cmd/internal/quoted's TestSplit, case for case.
		{desc: "empty", s: "", want: nil},
		{desc: "space", s: " ", want: nil},
		{desc: "one", s: "a", want: []string{"a"}},
		{desc: "leading space", s: " a", want: []string{"a"}},
		{desc: "trailing space", s: "a ", want: []string{"a"}},
		{desc: "two", s: "a b", want: []string{"a", "b"}},
		{desc: "two, several spaces", s: "a  b", want: []string{"a", "b"}},
		{desc: "two, tab", s: "a\tb", want: []string{"a", "b"}},
		{desc: "two, newline", s: "a\nb", want: []string{"a", "b"}},
		{desc: "single quotes", s: `'a b'`, want: []string{"a b"}},
		{desc: "double quotes", s: `"a b"`, want: []string{"a b"}},
		{desc: "both quotes", s: `'a '"b "`, want: []string{"a ", "b "}},
		{desc: "each quote holds the other", s: `'a "'"'b"`, want: []string{`a "`, `'b`}},
		{desc: "no escapes", s: `\'`, want: []string{`\'`}},
		{desc: "unclosed quote", s: `'a`, wantErr: "unterminated ' string"},
		// Flags as Goimagefiles write them.
		{desc: "-X with a quoted value", s: `-X 'main.msg=hello world'`, want: []string{"-X", "main.msg=hello world"}},
		{desc: "-extldflags quoted", s: `-extldflags '-static -lm'`, want: []string{"-extldflags", "-static -lm"}},
		{desc: "-extldflags double quoted", s: `-extldflags "-static -lm"`, want: []string{"-extldflags", "-static -lm"}},
		{desc: "a quote inside a word is an ordinary character", s: `-X main.msg='hello world'`, want: []string{"-X", "main.msg='hello", "world'"}},
		{desc: "a closing quote ends the word", s: `'a'b`, want: []string{"a", "b"}},
		{desc: "empty quotes are an empty word", s: `-X ''`, want: []string{"-X", ""}},
		{desc: "unclosed double quote", s: `-X "main.msg=hi`, wantErr: `unterminated " string`},
		{desc: "carriage return separates", s: "a\rb", want: []string{"a", "b"}},
		{desc: "non-ASCII space does not", s: "a\u00a0b", want: []string{"a\u00a0b"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := SplitFlags(tc.s)
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("SplitFlags(%q) (-got +want):\n%s", tc.s, diff)
			}
		})
	}
}

func TestJoinFlags(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		words   []string
		want    string
		wantErr string
	}{
		// cmd/internal/quoted's TestJoin, case for case.
		{desc: "none", words: nil, want: ""},
		{desc: "one", words: []string{"a"}, want: "a"},
		{desc: "two", words: []string{"a", "b"}, want: "a b"},
		{desc: "space", words: []string{"a ", "b"}, want: "'a ' b"},
		{desc: "newline", words: []string{"a\n", "b"}, want: "'a\n' b"},
		{desc: "quote", words: []string{`'a `, "b"}, want: `"'a " b`},
		{desc: "both quotes", words: []string{`'"`}, wantErr: "contains both single and double quotes"},
		// More.
		{desc: "double quote only", words: []string{`say "hi"`}, want: `'say "hi"'`},
		{desc: "tab", words: []string{"a\tb"}, want: "'a\tb'"},
		{desc: "non-ASCII is plain", words: []string{"héllo"}, want: "héllo"},
		{desc: "-X value with a space", words: []string{"-X", "main.msg=hello world"}, want: "-X 'main.msg=hello world'"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := JoinFlags(tc.words)
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("JoinFlags(%q) (-got +want):\n%s", tc.words, diff)
			}
		})
	}
}

// TestJoinSplitRoundTrip checks the property the flag words rest on: whatever words
// JoinFlags can spell (not empty, not holding both kinds of quote), SplitFlags, and so the
// go command, reads back as the same words.
func TestJoinSplitRoundTrip(t *testing.T) {
	alphabet := []string{"a", "Z", "0", "-", "=", ".", "$", "{", "}", "\\", " ", "\t", "\n", "\r", "'", `"`, "é", "\u00a0"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 5000 {
		var words []string
		for range r.IntN(5) {
			var w strings.Builder
			for range 1 + r.IntN(8) {
				w.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			if s := w.String(); !(strings.Contains(s, "'") && strings.Contains(s, `"`)) {
				words = append(words, s)
			}
		}
		joined, err := JoinFlags(words)
		if err != nil {
			t.Fatalf("case %d: JoinFlags(%q): %v", n, words, err)
		}
		got, err := SplitFlags(joined)
		if err != nil {
			t.Fatalf("case %d: SplitFlags(%q): %v", n, joined, err)
		}
		if diff := cmp.Diff(got, words); diff != "" {
			t.Fatalf("case %d: SplitFlags(JoinFlags(%q)) (-got +want):\n%s", n, words, diff)
		}
	}
}

func TestExpandArgs(t *testing.T) {
	args := map[string]string{"A": "1", "B": "${A}", "_x9": "y"}
	for _, tc := range []struct {
		desc, s, want string
	}{
		{desc: "set", s: "v=${A}", want: "v=1"},
		{desc: "unset is empty", s: "v=${C}", want: "v="},
		{desc: "values are not expanded again", s: "${B}", want: "${A}"},
		{desc: "two refs", s: "${A}-${_x9}", want: "1-y"},
		{desc: "$NAME is literal", s: "$A", want: "$A"},
		{desc: "not a name is literal", s: "${1}${A B}", want: "${1}${A B}"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := ExpandArgs(tc.s, args); got != tc.want {
				t.Errorf("ExpandArgs(%q) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

// TestLdflagsWords: ExpandFlagWords on ldflags entries, and how the go command reads the
// words joined back.
func TestLdflagsWords(t *testing.T) {
	for _, tc := range []struct {
		desc       string
		entry      string
		args       map[string]string
		want       []string // the linker's arguments
		wantJoined string   // the -ldflags text
		wantErr    string
	}{
		{
			desc: "build arg", entry: "-X main.version=${VERSION}", args: map[string]string{"VERSION": "1.2.3"},
			want: []string{"-X", "main.version=1.2.3"}, wantJoined: "-X main.version=1.2.3",
		},
		{
			desc: "a space in a value stays in its word", entry: "-X main.version=${VERSION}", args: map[string]string{"VERSION": "1.0 -X main.admin=true"},
			want: []string{"-X", "main.version=1.0 -X main.admin=true"}, wantJoined: "-X 'main.version=1.0 -X main.admin=true'",
		},
		{
			desc: "a single quote in a value", entry: "-X main.msg=${MSG}", args: map[string]string{"MSG": "it's' -X main.admin=true '"},
			want: []string{"-X", "main.msg=it's' -X main.admin=true '"}, wantJoined: `-X "main.msg=it's' -X main.admin=true '"`,
		},
		{
			desc: "a double quote in a value", entry: "-X main.msg=${MSG}", args: map[string]string{"MSG": `say "hi" -s`},
			want: []string{"-X", `main.msg=say "hi" -s`}, wantJoined: `-X 'main.msg=say "hi" -s'`,
		},
		{
			desc: "both quotes in a value: refused, naming the build arg and the word", entry: "-X main.msg=${MSG}", args: map[string]string{"MSG": `a' -X main.admin="b`},
			wantErr: `"main.msg=${MSG}": with build arg MSG the word holds both single and double quotes`,
		},
		{
			desc: "both quotes made by two build args", entry: "-X main.msg=${A}${B}", args: map[string]string{"A": "'", "B": `"`},
			wantErr: `"main.msg=${A}${B}": with build args A, B the word holds both`,
		},
		{
			desc: "both quotes in the literal", entry: `-X main.msg=a'b"c`,
			wantErr: `word "main.msg=a'b\"c" contains both single and double quotes`,
		},
		{
			desc: "a value starting with '-' is one word", entry: "${FLAGS}", args: map[string]string{"FLAGS": "-X evil -s"},
			want: []string{"-X evil -s"}, wantJoined: "'-X evil -s'",
		},
		{
			desc: "a value starting with a quote", entry: "-X main.v=1 ${V}", args: map[string]string{"V": "'x"},
			want: []string{"-X", "main.v=1", "'x"}, wantJoined: `-X main.v=1 "'x"`,
		},
		{
			desc:  "-X with a single-quoted value",
			entry: "-X 'main.msg=hello world'",
			want:  []string{"-X", "main.msg=hello world"}, wantJoined: "-X 'main.msg=hello world'",
		},
		{
			desc:  "-X with a double-quoted value",
			entry: `-X "main.msg=it's here"`,
			want:  []string{"-X", "main.msg=it's here"}, wantJoined: `-X "main.msg=it's here"`,
		},
		{
			desc:  "-extldflags with two flags",
			entry: "-linkmode=external -extldflags '-static -lm'",
			want:  []string{"-linkmode=external", "-extldflags", "-static -lm"}, wantJoined: "-linkmode=external -extldflags '-static -lm'",
		},
		{
			desc: "a build arg inside a quoted word", entry: "-X 'main.msg=${GREETING} world'", args: map[string]string{"GREETING": "hello"},
			want: []string{"-X", "main.msg=hello world"}, wantJoined: "-X 'main.msg=hello world'",
		},
		{
			desc: "quotes inside a word are the go command's ordinary characters", entry: "-X main.msg='hello world'",
			want: []string{"-X", "main.msg='hello", "world'"}, wantJoined: `-X "main.msg='hello" "world'"`,
		},
		{
			desc: "unterminated quote", entry: "-X 'main.msg=hello",
			wantErr: "unterminated ' string",
		},
		{
			desc: "a quote in a build arg value is never syntax", entry: "-X 'main.msg=${MSG}'", args: map[string]string{"MSG": "x' -s '"},
			want: []string{"-X", "main.msg=x' -s '"}, wantJoined: `-X "main.msg=x' -s '"`,
		},
		{
			desc: "empty expansions are dropped", entry: "${EXTRA} -X main.a=${A} ''", args: map[string]string{"EXTRA": ""},
			want: []string{"-X", "main.a="}, wantJoined: "-X main.a=",
		},
		{
			desc: "nothing left", entry: "${EXTRA}",
			want: nil, wantJoined: "",
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := ExpandFlagWords(tc.entry, tc.args)
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("ExpandFlagWords(%q) (-got +want):\n%s", tc.entry, diff)
			}
			if err != nil {
				return
			}
			joined, err := JoinFlags(got)
			if err != nil {
				t.Fatalf("JoinFlags(%q): %v", got, err)
			}
			if diff := cmp.Diff(joined, tc.wantJoined); diff != "" {
				t.Errorf("joined (-got +want):\n%s", diff)
			}
			// goimage passes "-s -w -buildid= " + joined: the go command reads the words back.
			pattern, read, err := goReadsFlags("-s -w -buildid= " + joined)
			if err != nil || pattern != "" {
				t.Fatalf("go command reads pattern %q, error %v", pattern, err)
			}
			if diff := cmp.Diff(read[3:], nonNil(tc.want)); diff != "" {
				t.Errorf("the go command reads (-got +want):\n%s", diff)
			}
		})
	}
}

func TestGcflagsValue(t *testing.T) {
	for _, tc := range []struct {
		desc        string
		entry       string
		args        map[string]string
		want        string   // the -gcflags value; "" passes no -gcflags
		wantPattern string   // as the go command reads want
		wantFlags   []string // as the go command reads want
		wantErr     string
	}{
		{
			desc: "flags", entry: "-N -l",
			want: "-N -l", wantFlags: []string{"-N", "-l"},
		},
		{
			desc: "a literal pattern", entry: "all=-N -l",
			want: "all=-N -l", wantPattern: "all", wantFlags: []string{"-N", "-l"},
		},
		{
			desc: "white space around the entry and the pattern", entry: "  std =-N ",
			want: "std=-N", wantPattern: "std", wantFlags: []string{"-N"},
		},
		{
			desc: "a build arg value with a flag in it stays in its word", entry: "-N -d=${DEBUG}", args: map[string]string{"DEBUG": "checkptr=0 -B"},
			want: "-N '-d=checkptr=0 -B'", wantFlags: []string{"-N", "-d=checkptr=0 -B"},
		},
		{
			desc: "the same after a literal pattern", entry: "all=-d=${DEBUG}", args: map[string]string{"DEBUG": "checkptr=0 -B"},
			want: "all='-d=checkptr=0 -B'", wantPattern: "all", wantFlags: []string{"-d=checkptr=0 -B"},
		},
		{
			desc: "the first flag would need quotes: refused", entry: "-d=${DEBUG}", args: map[string]string{"DEBUG": "checkptr=0 -B"},
			wantErr: `"-d=${DEBUG}": with build arg DEBUG the first flag holds white space or a quote`,
		},
		{
			desc: "a plain build arg value in the first flag", entry: "-d=${DEBUG}", args: map[string]string{"DEBUG": "checkptr=0"},
			want: "-d=checkptr=0", wantFlags: []string{"-d=checkptr=0"},
		},
		{
			desc: "a whole-word build arg with a space as the first flag: refused", entry: "${GCF}", args: map[string]string{"GCF": "-B -N"},
			wantErr: `"${GCF}": with build arg GCF the first flag holds white space`,
		},
		{
			desc: "a whole-word build arg is one flag", entry: "${GCF}", args: map[string]string{"GCF": "-N"},
			want: "-N", wantFlags: []string{"-N"},
		},
		{
			desc: "a whole-word build arg after a flag", entry: "-l ${GCF}", args: map[string]string{"GCF": "-N"},
			want: "-l -N", wantFlags: []string{"-l", "-N"},
		},
		{
			desc: "a build arg making a pattern: refused", entry: "${GCF}", args: map[string]string{"GCF": "all=-B"},
			wantErr: `"${GCF}": with build arg GCF the value starts with "a", not '-'`,
		},
		{
			desc: "a build arg making the pattern's name: refused", entry: "${P}=-B", args: map[string]string{"P": "all"},
			wantErr: `"${P}=-B": with build arg P the value starts with "a", not '-'`,
		},
		{
			desc: "an unset build arg before '=': refused", entry: "${P}=-B",
			wantErr: `the value starts with "=", not '-'`,
		},
		{
			desc: "PATTERN=FLAGS in a later word is a word", entry: "-N ${GCF}", args: map[string]string{"GCF": "all=-B"},
			want: "-N all=-B", wantFlags: []string{"-N", "all=-B"},
		},
		{
			desc: "a build arg after the pattern is one word", entry: "all=${GCF}", args: map[string]string{"GCF": "-B -N"},
			want: "all='-B -N'", wantPattern: "all", wantFlags: []string{"-B -N"},
		},
		{
			desc: "empty expansion: no -gcflags", entry: "${GCF}",
			want: "",
		},
		{
			desc: "empty expansion after a pattern: no -gcflags", entry: "all=${GCF}", args: map[string]string{"GCF": ""},
			want: "",
		},
		{
			desc: "empty words are dropped", entry: "${A} -N ${B}",
			want: "-N", wantFlags: []string{"-N"},
		},
		{
			desc: "a literal without '-' or pattern: refused", entry: "N",
			wantErr: `"N": the value starts with "N", not '-'`,
		},
		{
			desc: "a literal quoted first flag: refused", entry: "'-N -l'",
			wantErr: `"-N -l": the first flag holds white space or a quote`,
		},
		{
			desc: "a literal quoted first flag with '=' reads as a quoted pattern: refused", entry: "'-d=a b'",
			wantErr: "may not start with a quote",
		},
		{
			desc: "an empty pattern: refused", entry: "=-N",
			wantErr: "missing PATTERN",
		},
		{
			desc: "a quoted pattern: refused", entry: "'all'=-N",
			wantErr: "may not start with a quote",
		},
		{
			desc: "unterminated quote", entry: "-N '-d=x",
			wantErr: "unterminated ' string",
		},
		{
			desc: "both quotes from a build arg", entry: "all=-d=${D}", args: map[string]string{"D": `'"`},
			wantErr: `"-d=${D}": with build arg D the word holds both single and double quotes`,
		},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := GcflagsValue(tc.entry, tc.args)
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("GcflagsValue(%q) (-got +want):\n%s", tc.entry, diff)
			}
			if got == "" {
				return
			}
			pattern, flags, err := goReadsFlags(got)
			if err != nil {
				t.Fatalf("the go command refuses %q: %v", got, err)
			}
			if pattern != tc.wantPattern {
				t.Errorf("the go command reads pattern %q, want %q", pattern, tc.wantPattern)
			}
			if diff := cmp.Diff(flags, tc.wantFlags); diff != "" {
				t.Errorf("the go command reads flags (-got +want):\n%s", diff)
			}
		})
	}
}

// checkErr fails unless err is nil and wantErr empty, or err holds wantErr.
func checkErr(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantErr != "" && err == nil:
		t.Fatalf("no error, want one holding %q", wantErr)
	case err != nil && !strings.Contains(err.Error(), wantErr):
		t.Fatalf("error %q does not hold %q", err, wantErr)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
