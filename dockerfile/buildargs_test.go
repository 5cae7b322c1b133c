package dockerfile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// goSplit is the go command's splitting of a flag list (cmd/internal/quoted.Split): white space
// separates words, a quote counts only at the start of a word, and nothing escapes.
func goSplit(s string) ([]string, error) {
	var f []string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(s) > 0 {
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if len(s) == 0 {
			break
		}
		if s[0] == '"' || s[0] == '\'' {
			i := strings.IndexByte(s[1:], s[0])
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", s[0])
			}
			f, s = append(f, s[1:1+i]), s[2+i:]
			continue
		}
		i := 0
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		f, s = append(f, s[:i]), s[i:]
	}
	return f, nil
}

// perPackage is what the go command makes of an -ldflags or -gcflags value
// (cmd/go/internal/load.PerPackageFlag.set): an optional package pattern and the flags.
type perPackage struct {
	Pattern string
	Flags   []string
	Err     string
}

func readPerPackage(v string) perPackage {
	v = strings.TrimSpace(v)
	var p perPackage
	if v != "" && !strings.HasPrefix(v, "-") {
		i := strings.Index(v, "=")
		switch {
		case i <= 0:
			return perPackage{Err: "missing pattern or value"}
		case v[0] == '\'' || v[0] == '"':
			return perPackage{Err: fmt.Sprintf("parameter may not start with quote character %c", v[0])}
		}
		p.Pattern, v = strings.TrimSpace(v[:i]), v[i+1:]
	}
	flags, err := goSplit(v)
	if err != nil {
		return perPackage{Err: err.Error()}
	}
	p.Flags = flags
	return p
}

// goimageFlags are goimage's -ldflags value and -gcflags values for a binary with build args,
// by spec's own functions (as llb computes them), or the first error.
func goimageFlags(ldflags, gcflags []string, args map[string]string) (string, []string, error) {
	words := slices.Clone(plan.BaseLdflags)
	for _, f := range ldflags {
		w, err := spec.ExpandFlagWords(f, args)
		if err != nil {
			return "", nil, err
		}
		words = append(words, w...)
	}
	ld, err := spec.JoinFlags(words)
	if err != nil {
		return "", nil, err
	}
	var gc []string
	for _, g := range gcflags {
		v, err := spec.GcflagsValue(g, args)
		if err != nil {
			return "", nil, err
		}
		if v != "" {
			gc = append(gc, v)
		}
	}
	return ld, gc, nil
}

// TestBuildArgs runs the go build step of a Dockerfile in every POSIX shell at hand, with
// hostile build arg values, and reads its -ldflags and -gcflags as the go command does: each
// ${NAME} is inside one word of the list, whatever it holds, as in goimage's own build, and
// what the go command cannot read as written fails the step, as it fails goimage's build.
func TestBuildArgs(t *testing.T) {
	base := []string{"-s", "-w", "-buildid="}
	tests := []struct {
		desc             string
		ldflags, gcflags []string
		args             map[string]string
		wantLd           []string
		wantGc           []perPackage
		wantErr          string // the step fails, saying this
	}{
		{
			desc:    "without build args the step is exec-form, and the spec's quotes are the go command's",
			ldflags: []string{"-X 'main.a=b c'", `-X "main.b=it's"`},
			wantLd:  append(base, "-X", "main.a=b c", "-X", "main.b=it's"),
		},
		{
			desc:    "a build arg holding spaces is inside one word",
			ldflags: []string{"-X main.version=${VERSION}", "-X 'main.msg=${VERSION} and more'"},
			args:    map[string]string{"VERSION": " 1.0  beta "},
			wantLd:  append(base, "-X", "main.version= 1.0  beta ", "-X", "main.msg= 1.0  beta  and more"),
		},
		{
			desc:    "shell syntax in a build arg is text",
			ldflags: []string{"-X main.v=${V}"},
			args:    map[string]string{"V": "$(touch /tmp/pwned);`id`|x>y&&${HOME}*"},
			wantLd:  append(base, "-X", "main.v=$(touch /tmp/pwned);`id`|x>y&&${HOME}*"),
		},
		{
			desc:    "a build arg that looks like flags cannot add one",
			ldflags: []string{"-X main.v=${V}"},
			args:    map[string]string{"V": "x -extld=/bin/sh -linkmode=external"},
			wantLd:  append(base, "-X", "main.v=x -extld=/bin/sh -linkmode=external"),
		},
		{
			desc:    "single quotes, double quotes, line breaks and backslashes",
			ldflags: []string{"-X a=${S}", "-X b=${D}", "-X c=${N}"},
			args:    map[string]string{"S": "it's", "D": `say "hi"`, "N": "a\nb\tc\r\\"},
			wantLd:  append(base, "-X", "a=it's", "-X", `b=say "hi"`, "-X", "c=a\nb\tc\r\\"),
		},
		{
			desc:    "both kinds of quote cannot be written for the go command: the step fails, as goimage's build does",
			ldflags: []string{"-X a=${Q}"},
			args:    map[string]string{"Q": `it's "x" y`},
			wantErr: "goquote: -ldflags=: a word holds both single and double quotes",
		},
		{
			desc:    "a word that is only an unset or empty build arg is dropped",
			ldflags: []string{"-X main.a=${A} ${B} ${C}"},
			args:    map[string]string{"C": ""},
			wantLd:  append(base, "-X", "main.a="),
		},
		{
			desc:    "several build args in one word",
			ldflags: []string{"-X main.v=${A}-${B}+${A}"},
			args:    map[string]string{"A": "1 2", "B": "'3'"},
			wantLd:  append(base, "-X", "main.v=1 2-'3'+1 2"),
		},
		{
			desc:    "gcflags: a literal pattern, a flag, a build arg after a pattern; none for no flags",
			gcflags: []string{"all=-N -l", "-d=${DEBUG}", "std= -d=${SPACE}", "${UNSET}", "all=${UNSET}"},
			args:    map[string]string{"DEBUG": "ssa/check/on", "SPACE": "a b"},
			wantLd:  base,
			wantGc: []perPackage{
				{Pattern: "all", Flags: []string{"-N", "-l"}}, {Flags: []string{"-d=ssa/check/on"}},
				{Pattern: "std", Flags: []string{"-d=a b"}},
			},
		},
		{
			desc:    "gcflags: a first flag that needs quotes fails the step, as the go command would",
			gcflags: []string{"-d=${DEBUG}"},
			args:    map[string]string{"DEBUG": "a b"},
			wantErr: "goquote: -gcflags=: the first flag needs quotes",
		},
		{
			desc:    "gcflags: a build arg cannot choose the packages",
			gcflags: []string{"${GC}"},
			args:    map[string]string{"GC": "all=-B"},
			wantErr: "would read it as PATTERN=FLAGS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := parse(t, "version: 1\nmain: .\n")
			s.Binaries[0].Ldflags, s.Binaries[0].Gcflags = tt.ldflags, tt.gcflags
			for name, argv := range goBuildArgvs(t, write(t, s), tt.args) {
				if tt.wantErr != "" {
					if len(argv) != 1 || !strings.HasPrefix(argv[0], "failed") || !strings.Contains(argv[0], tt.wantErr) {
						t.Errorf("%s: go build %q, want the step to fail with %q", name, argv, tt.wantErr)
					}
					continue
				}
				ld, gc := flagLists(argv)
				if diff := cmp.Diff(ld, perPackage{Flags: tt.wantLd}); diff != "" {
					t.Errorf("%s: -ldflags (-got +want):\n%s\nargv %q", name, diff, argv)
				}
				if diff := cmp.Diff(gc, tt.wantGc); diff != "" {
					t.Errorf("%s: -gcflags (-got +want):\n%s\nargv %q", name, diff, argv)
				}
			}
			// goimage's own build reads the same flags, or fails too.
			ld, gc, err := goimageFlags(tt.ldflags, tt.gcflags, tt.args)
			if (err != nil) != (tt.wantErr != "") {
				t.Fatalf("goimage's flags: %v, want an error: %v", err, tt.wantErr != "")
			}
			if err == nil {
				if diff := cmp.Diff(readPerPackage(ld), perPackage{Flags: tt.wantLd}); diff != "" {
					t.Errorf("goimage's -ldflags (-got +want):\n%s", diff)
				}
				var gotGc []perPackage
				for _, v := range gc {
					gotGc = append(gotGc, readPerPackage(v))
				}
				if diff := cmp.Diff(gotGc, tt.wantGc); diff != "" {
					t.Errorf("goimage's -gcflags (-got +want):\n%s", diff)
				}
			}
		})
	}
}

// goBuildArgvs are the go build argv of a one-binary Dockerfile: the exec form's, or for a
// shell form, the one each shell at hand runs.
func goBuildArgvs(t *testing.T, dockerfile string, args map[string]string) map[string][]string {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(dockerfile))
	if err != nil {
		t.Fatalf("BuildKit cannot parse the Dockerfile: %v\n%s", err, dockerfile)
	}
	var run *parser.Node
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "run") {
			run = n
		}
	}
	if run.Attributes["json"] {
		return map[string][]string{"exec": nodeArgs(run)}
	}
	argvs := map[string][]string{}
	for _, sh := range shells(t) {
		argvs[sh] = runShell(t, sh, strings.Join(nodeArgs(run), " "), args)
	}
	return argvs
}

// flagLists reads the -ldflags and -gcflags arguments of a go build argv.
func flagLists(argv []string) (ld perPackage, gc []perPackage) {
	for _, a := range argv {
		if v, ok := strings.CutPrefix(a, "-ldflags="); ok {
			ld = readPerPackage(v)
		}
		if v, ok := strings.CutPrefix(a, "-gcflags="); ok {
			gc = append(gc, readPerPackage(v))
		}
	}
	return ld, gc
}
