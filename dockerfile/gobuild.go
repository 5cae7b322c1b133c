package dockerfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goimage/goimage/plan"
	"github.com/goimage/goimage/spec"
)

// shellNames are variables a POSIX shell or the golang image sets itself: a shell-form RUN would
// read them, never a build arg of the same name.
var shellNames = []string{"IFS", "PATH", "HOME", "PWD", "OLDPWD", "PPID", "OPTIND", "OPTARG", "LINENO", "PS1", "PS2", "PS4", "GOPATH", "GOLANG_VERSION"}

// goArg is one argument of the go build command: a literal, or an -ldflags or -gcflags list
// whose words refer to build args, which only a shell can put together (see goshell.go).
type goArg struct {
	field   string     // the spec field it comes from, "" for goimage's own
	lit     string     // the argument, when words is nil
	flag    string     // "-ldflags=" or "-gcflags="
	pattern string     // a gcflags entry's PATTERN=, as written
	words   []flagWord // the list's words
}

// flagWord is a word of a flag list as the go command splits the spec's text, ${NAME}
// unexpanded, and the field it comes from.
type flagWord struct {
	field, text string
}

// goBuildArgs is the go build command line of binary i, as plan.Binary.BuildArgs with the
// build args left for the build to expand.
func (w *writer) goBuildArgs(s *spec.Spec, i int, env map[string]string) []goArg {
	b := s.Binaries[i]
	p := fmt.Sprintf("binaries[%d]", i)
	args := []goArg{{lit: "go"}, {lit: "build"}, {lit: "-trimpath"}, {lit: "-buildvcs=false"}, w.ldflags(p, b.Ldflags, env)}
	if tags := w.tags(i, p, b.Tags); len(tags) > 0 {
		args = append(args, goArg{field: p + ".tags", lit: "-tags=" + strings.Join(tags, ",")})
	}
	for j, g := range b.Gcflags {
		if a, ok := w.gcflags(fmt.Sprintf("%s.gcflags[%d]", p, j), g, env); ok {
			args = append(args, a)
		}
	}
	for j, f := range b.Flags {
		fp := fmt.Sprintf("%s.flags[%d]", p, j)
		if w.text(fp, f) && !strings.HasPrefix(f, "-") {
			// The go command would read it as a package to build.
			w.fail(fp, "%q is not a flag: want one such as -race", f)
		}
		args = append(args, goArg{field: fp, lit: f})
	}
	name := w.binaryName(p+".name", b.Name)
	main := w.plan.Binaries[i].Package
	w.text(p+".main", main)
	return append(args, goArg{lit: "-o"}, goArg{field: p + ".name", lit: "/out/" + name}, goArg{field: p + ".main", lit: main})
}

// ldflags is the -ldflags argument: goimage's flags, then the words of the spec's entries as
// the go command splits them, each with its build args expanded inside it (llb's ldflags).
// Without build args it is written here, with spec's own functions.
func (w *writer) ldflags(field string, entries []string, env map[string]string) goArg {
	var words []flagWord
	for _, f := range plan.BaseLdflags {
		words = append(words, flagWord{text: f})
	}
	refs := false
	for j, f := range entries {
		ws := w.flagWords(fmt.Sprintf("%s.ldflags[%d]", field, j), f, env)
		words = append(words, ws...)
		refs = refs || hasArgRefs(f)
	}
	if refs {
		return goArg{field: field + ".ldflags", flag: "-ldflags=", words: words}
	}
	var lits []string
	for _, fw := range words {
		if fw.text != "" {
			lits = append(lits, fw.text)
		}
	}
	v, _ := spec.JoinFlags(lits) // flagWords refused what it cannot spell
	return goArg{field: field + ".ldflags", lit: "-ldflags=" + v}
}

// gcflags is the -gcflags argument of one entry (llb's gcflags): without build args written
// here by spec.GcflagsValue, none when it has no flags; with them, its PATTERN= as written and
// its words. The pattern can come only from the spec's text, never from a build arg.
func (w *writer) gcflags(field, g string, env map[string]string) (goArg, bool) {
	if !hasArgRefs(g) {
		w.argv(field, g)
		v, err := spec.GcflagsValue(g, nil)
		if err != nil {
			w.fail(field, "%v", err)
		}
		return goArg{field: field, lit: "-gcflags=" + v}, v != ""
	}
	v, pattern := strings.TrimSpace(g), ""
	if !strings.HasPrefix(v, "-") {
		if i := strings.IndexByte(v, '='); i >= 0 && !strings.Contains(v[:i], "${") {
			pattern, v = strings.TrimSpace(v[:i]), v[i+1:]
			if pattern == "" || pattern[0] == '\'' || pattern[0] == '"' {
				w.fail(field, "%q: the go command reads no PATTERN in it", g)
			}
			pattern += "="
		}
	}
	return goArg{field: field, flag: "-gcflags=", pattern: pattern, words: w.flagWords(field, v, env)}, true
}

// flagWords splits an entry's text as the go command splits a flag list. A word without build
// args must be one the go command can read back: spec.JoinFlags cannot spell a word with both
// kinds of quote. A word with build args is checked when the step runs.
func (w *writer) flagWords(field, v string, env map[string]string) []flagWord {
	if !w.argv(field, v) {
		return nil
	}
	w.argRefs(field, v, env)
	texts, err := spec.SplitFlags(v)
	if err != nil {
		w.fail(field, "%q: %v", v, err)
		return nil
	}
	var words []flagWord
	for _, t := range texts {
		if !hasArgRefs(t) && t != "" {
			if _, err := spec.JoinFlags([]string{t}); err != nil {
				w.fail(field, "%v", err)
				continue
			}
		}
		words = append(words, flagWord{field, t})
	}
	return words
}

// argRefs reports whether v refers to build args, and refuses a reference a Dockerfile would
// read as something else: in a RUN step, an ENV of the stage (or of the builder image, or a
// shell's own variable) wins over a build arg of the same name.
func (w *writer) argRefs(field, v string, env map[string]string) bool {
	refs := spec.ArgRefs(v)
	for _, name := range refs {
		if _, ok := env[name]; ok || slices.Contains(shellNames, name) {
			w.fail(field, "${%s}: in a Dockerfile the build step's environment variable %s wins over a build arg of that name: rename the build arg", name, name)
		}
	}
	return len(refs) > 0
}

// tags are binary i's build tags (plan.Binary.Tags). A tag of the file holding a comma, a
// space or a quote would be read by the go command as several.
func (w *writer) tags(i int, field string, tags []string) []string {
	for j, t := range tags {
		if !tagRe.MatchString(t) {
			w.fail(fmt.Sprintf("%s.tags[%d]", field, j), "%q is not a build tag: use letters, digits, '_' and '.'", t)
		}
	}
	return w.plan.Binaries[i].Tags
}

// hasArgRefs says whether a value refers to build args.
func hasArgRefs(v string) bool { return len(spec.ArgRefs(v)) > 0 }

// binaryName checks a binary's name: one file name, since it is both /out/NAME and /NAME.
func (w *writer) binaryName(field, name string) string {
	if !nameRe.MatchString(name) {
		w.fail(field, "%q is not a file name: use letters, digits, '.', '_' and '-'", name)
		return "app"
	}
	return name
}

// buildArgNames are the build args the file reads (plan.Args).
func (w *writer) buildArgNames() []string {
	names := make([]string, len(w.plan.Args))
	for i, a := range w.plan.Args {
		names[i] = a.Name
	}
	return names
}
