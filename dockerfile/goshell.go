package dockerfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goimage/goimage/spec"
)

// goQuoteFunc puts together, when the step runs, an -ldflags or -gcflags argument whose words
// refer to build args, as spec.ExpandFlagWords, spec.JoinFlags and spec.GcflagsValue do for
// goimage: goquote FLAG PATTERN WORD... drops empty words, quotes each other word for the go
// command's splitting (a word with white space or a double quote in single quotes, one with
// a single quote in double quotes), and prints FLAG PATTERN and the list, or nothing when no
// word is left. What the go command cannot read as written fails the step, with a message:
// a word holding both kinds of quote, or without a PATTERN a list that does not start with
// '-' (the go command would take a pattern from it). It then prints "!", which the step checks
// for: a failure inside $(...) would not stop it. dash, bash and busybox ash agree on it.
var goQuoteFunc = []string{
	`goquote() {`,
	`p=$1$2 pattern=$2 s= tab=$(printf '\t') cr=$(printf '\r') nl=$(printf '\nx'); nl=${nl%x}; shift 2;`,
	`for w in "$@"; do case $w in`,
	`'') continue ;;`,
	`*\'*\"*|*\"*\'*) printf '%s\n' "goquote: $p: a word holds both single and double quotes, which the go command cannot read as one word" >&2; printf '!'; return ;;`,
	`*\'*) w=\"$w\" ;;`,
	`*[\"" $tab$nl$cr"]*) w=\'$w\' ;;`,
	`esac; s="$s${s:+ }$w"; done;`,
	`case $pattern in '') case $s in ''|-*) ;; *) printf '%s\n' "goquote: $p: the first flag needs quotes or does not start with '-', so the go command would read it as PATTERN=FLAGS" >&2; printf '!'; return ;; esac ;; esac;`,
	`[ -z "$s" ] || printf %s "$p$s"; };`,
}

// goBuild writes the go build step of binary i: exec form, unless a flag list refers to build
// args.
func (w *writer) goBuild(s *spec.Spec, i int, mounts string, env map[string]string) {
	args := w.goBuildArgs(s, i, env)
	if slices.ContainsFunc(args, func(a goArg) bool { return a.words != nil }) {
		w.goBuildShell(args, mounts)
		return
	}
	lits := make([]string, len(args))
	for i, a := range args {
		lits[i] = a.lit
	}
	w.printf("RUN %s %s\n", mounts, jsonList(lits))
}

// goBuildShell writes a go build step that needs a shell. The lists are put together first,
// all at once, into the positional parameters, so that every ${NAME} is read before the step
// sets any variable of its own; a gcflags list left empty (its flags were all empty build
// args) is no argument, as in goimage.
func (w *writer) goBuildShell(args []goArg, mounts string) {
	var lists, words []string
	for _, a := range args {
		switch {
		case a.words == nil:
			words = append(words, w.shellWord(a.field, a.lit))
		case a.flag == "-ldflags=":
			lists = append(lists, w.goquote(a))
			words = append(words, fmt.Sprintf(`"${%d}"`, len(lists)))
		default:
			lists = append(lists, w.goquote(a))
			words = append(words, fmt.Sprintf(`${%d:+"${%d}"}`, len(lists), len(lists)))
		}
	}
	w.printf("# goquote quotes each word of -ldflags or -gcflags the way the go command splits them,\n")
	w.printf("# so that a build arg is always inside one word there (see goimage's spec.JoinFlags).\n")
	// Line continuations only follow text of goimage's own, never a spec value.
	w.printf("RUN %s \\\n", mounts)
	for _, l := range goQuoteFunc {
		w.printf("\t%s \\\n", l)
	}
	w.printf("\tset -- %s && \\\n", strings.Join(lists, " "))
	w.printf("\tfor a do case $a in !) exit 1 ;; esac; done && \\\n")
	w.printf("\t%s\n", strings.Join(words, " "))
}

// goquote writes the goquote call of a list as one shell word: each of its words one shell
// word too, literal parts single-quoted and each ${NAME} in double quotes, whatever it holds.
func (w *writer) goquote(a goArg) string {
	ws := []string{a.flag, "''"}
	if a.pattern != "" {
		ws[1] = w.shellWord(a.field, a.pattern)
	}
	for _, fw := range a.words {
		ws = append(ws, w.shellRefWord(fw.field, fw.text))
	}
	return fmt.Sprintf(`"$(goquote %s)"`, strings.Join(ws, " "))
}

// shellRefWord is a word holding ${NAME} references as one shell word that expands them.
func (w *writer) shellRefWord(field, v string) string {
	if v == "" {
		return "''"
	}
	var b strings.Builder
	last := 0
	for _, m := range spec.ArgRefSpans(v) {
		if m[0] > last {
			b.WriteString(w.shellWord(field, v[last:m[0]]))
		}
		fmt.Fprintf(&b, `"${%s}"`, v[m[2]:m[3]])
		last = m[1]
	}
	if last < len(v) {
		b.WriteString(w.shellWord(field, v[last:]))
	}
	return b.String()
}

// shellWord is a value of the shell-form RUN as one shell word, checked for what its single
// quotes cannot protect.
//
// A line break would end the Dockerfile line, as anywhere outside JSON.
//
// "<<": BuildKit scans a shell-form RUN for heredocs with its own lexer, which knows no $(...):
// inside goquote's command substitution it can disagree with sh on where quotes end, and then
// read a heredoc that swallows the lines after it. Without "<<" on the line it never looks;
// goimage's own text has none, and quoting never joins two '<' of different values.
func (w *writer) shellWord(field, v string) string {
	switch {
	case field == "":
	case !w.text(field, v):
		return "''"
	case strings.Contains(v, "<<"):
		w.fail(field, "%q: the go build step is a shell command here (for its build args), and BuildKit would read \"<<\" in it as a heredoc", v)
	}
	return shWord(v)
}
