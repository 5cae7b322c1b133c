package spec

// Flag lists: how the ldflags and gcflags of a binary become go build arguments.
//
// The go command reads -ldflags and -gcflags as one string each and splits it into words
// itself (cmd/go/internal/load/flag.go, PerPackageFlag.set, with cmd/internal/quoted.Split).
// A spec value is split the same way first; only then is ${NAME} expanded inside each word,
// and the words are joined back with the go command's own quoting. A build arg value is
// therefore always inside exactly one word: it can never add a flag or a word, whatever
// spaces or quotes it holds. What cannot be spelled for the go command is an error, never
// a silently changed value.

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// flagArgRe is a ${NAME} reference to a build arg. Anything else that looks like one, such
// as ${1}, stays literal text (validation refuses it).
var flagArgRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// isFlagSpace is white space as the go command's flag splitting knows it: ASCII only.
func isFlagSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// SplitFlags splits a flag list into words exactly as the go command splits the value of
// -ldflags or -gcflags (cmd/internal/quoted.Split): white space (space, tab, newline,
// carriage return) separates words; a word that starts with a single or a double quote
// runs to the next quote of the same kind, and the quotes are removed; a quote anywhere
// else is an ordinary character. There are no escape characters. A quote that is not
// closed is an error.
func SplitFlags(s string) ([]string, error) {
	var words []string
	for len(s) > 0 {
		for len(s) > 0 && isFlagSpace(s[0]) {
			s = s[1:]
		}
		if len(s) == 0 {
			break
		}
		if q := s[0]; q == '"' || q == '\'' {
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			words = append(words, s[1:1+i])
			s = s[2+i:]
			continue
		}
		i := 0
		for i < len(s) && !isFlagSpace(s[i]) {
			i++
		}
		words = append(words, s[:i])
		s = s[i:]
	}
	return words, nil
}

// JoinFlags joins words into one flag list that SplitFlags, and so the go command, splits
// back into the same words (cmd/internal/quoted.Join): a word without white space or quotes
// is kept as it is, any other is wrapped in the quote it does not contain. A word with both
// kinds of quote cannot be spelled: that is an error. An empty word cannot be spelled
// either (it would vanish); callers drop empty words before joining.
func JoinFlags(words []string) (string, error) {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		q, err := flagQuote(w)
		if err != nil {
			return "", err
		}
		b.WriteString(q)
		b.WriteString(w)
		b.WriteString(q)
	}
	return b.String(), nil
}

// flagQuote is the quote JoinFlags wraps w in, "" when w needs none.
func flagQuote(w string) (string, error) {
	single, double := strings.Contains(w, "'"), strings.Contains(w, `"`)
	switch {
	case single && double:
		return "", fmt.Errorf("%q contains both single and double quotes, which the go command cannot read as one word", w)
	case single:
		return `"`, nil
	case double || strings.ContainsAny(w, " \t\n\r"):
		return "'", nil
	}
	return "", nil
}

// ExpandArgs replaces each ${NAME} in s with the build arg NAME, empty when it is unset.
// The values are not expanded again.
func ExpandArgs(s string, args map[string]string) string {
	return flagArgRe.ReplaceAllStringFunc(s, func(ref string) string {
		return args[ref[2:len(ref)-1]]
	})
}

// ArgRefs returns the build args a value refers to as ${NAME}, in order: exactly those
// ExpandArgs replaces.
func ArgRefs(s string) []string {
	var names []string
	for _, m := range flagArgRe.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	return names
}

// ArgRefSpans returns where each ${NAME} of s stands, in order: pairs of byte offsets, the
// whole reference's and then its name's (regexp's submatch indexes).
func ArgRefSpans(s string) [][]int {
	return flagArgRe.FindAllStringSubmatchIndex(s, -1)
}

// firstRune is the first character of s.
func firstRune(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return string(r)
}

// withArgs names the build args a word as written refers to, for error messages:
// `"-d=${DEBUG}": with build arg DEBUG`.
func withArgs(lit string) string {
	var names []string
	for _, m := range flagArgRe.FindAllStringSubmatch(lit, -1) {
		names = append(names, m[1])
	}
	if len(names) == 1 {
		return fmt.Sprintf("%q: with build arg %s", lit, names[0])
	}
	return fmt.Sprintf("%q: with build args %s", lit, strings.Join(names, ", "))
}

// flagWord is one word of a flag list: as written in the spec and as expanded.
type flagWord struct {
	lit, val string
}

// expandFlagWords splits a spec value, expands each word and drops the empty ones.
func expandFlagWords(s string, args map[string]string) ([]flagWord, error) {
	lits, err := SplitFlags(s)
	if err != nil {
		return nil, err
	}
	var words []flagWord
	for _, lit := range lits {
		val := ExpandArgs(lit, args)
		if val == "" {
			continue
		}
		if _, err := flagQuote(val); err != nil {
			if !flagArgRe.MatchString(lit) {
				return nil, fmt.Errorf("word %w", err)
			}
			// Name the word as written and its build args, not the value: the value may
			// be long, and it is the build arg that needs fixing.
			return nil, fmt.Errorf("%s the word holds both single and double quotes, which the go command cannot read as one word", withArgs(lit))
		}
		words = append(words, flagWord{lit, val})
	}
	return words, nil
}

// ExpandFlagWords returns the words one ldflags entry (or the flags of one gcflags entry)
// hands to the tool: the value is split like the go command splits a flag list
// (SplitFlags), then ${NAME} is expanded inside each word (ExpandArgs), so that a build arg
// value always stays inside its one word. A word that is empty after expansion, such as
// "${EXTRA}" with EXTRA unset, is dropped. Errors: an unterminated quote, and a word that
// JoinFlags could not spell (both kinds of quote), naming the build args that made it so.
func ExpandFlagWords(s string, args map[string]string) ([]string, error) {
	words, err := expandFlagWords(s, args)
	if err != nil || len(words) == 0 {
		return nil, err
	}
	vals := make([]string, len(words))
	for i, w := range words {
		vals[i] = w.val
	}
	return vals, nil
}

// GcflagsValue returns the value of the one -gcflags argument a gcflags entry becomes, with
// build args expanded, or "" when the entry has no flags left (the caller then passes no
// -gcflags for it: an empty -gcflags would only cancel the entries before it).
//
// The go command reads a -gcflags value that does not start with '-' as PATTERN=FLAGS,
// the flags then applying to the packages PATTERN matches (all=-N for every package).
// Here the pattern can come only from the spec's literal text: when the entry (white space
// trimmed) does not start with '-' and its text before the first '=' holds no ${...}, that
// text is the pattern and is kept; what follows the '=' is expanded as ExpandFlagWords
// does and joined with JoinFlags. Otherwise there is no pattern: the whole entry is
// expanded and joined, and the result must start with '-', or the go command would read a
// pattern out of it. A build arg that makes it start otherwise, or that puts white space or
// a quote into its first flag (which must then be quoted, and a value starting with a quote
// is an error to the go command), is refused: a build arg can never choose the packages a
// flag applies to. A literal value the go command would refuse (an empty pattern, a
// pattern starting with a quote, no '=' after text not starting with '-') is refused too.
func GcflagsValue(s string, args map[string]string) (string, error) {
	v := strings.TrimSpace(s)
	pattern, flags := "", v
	if !strings.HasPrefix(v, "-") {
		if i := strings.IndexByte(v, '='); i >= 0 && !strings.Contains(v[:i], "${") {
			pattern, flags = strings.TrimSpace(v[:i]), v[i+1:]
			switch {
			case pattern == "":
				return "", fmt.Errorf("%q: missing PATTERN in PATTERN=FLAGS", s)
			case pattern[0] == '\'' || pattern[0] == '"':
				return "", fmt.Errorf("%q: a PATTERN=FLAGS value may not start with a quote", s)
			}
		}
	}
	words, err := expandFlagWords(flags, args)
	if err != nil || len(words) == 0 {
		return "", err
	}
	vals := make([]string, len(words))
	for i, w := range words {
		vals[i] = w.val
	}
	joined, err := JoinFlags(vals)
	if err != nil {
		return "", err
	}
	if pattern != "" {
		return pattern + "=" + joined, nil
	}
	if strings.HasPrefix(joined, "-") {
		return joined, nil
	}
	first, at := words[0], fmt.Sprintf("%q:", words[0].lit)
	if flagArgRe.MatchString(first.lit) {
		at = withArgs(first.lit)
	}
	if !strings.HasPrefix(first.val, "-") {
		return "", fmt.Errorf("%s the value starts with %q, not '-', and the go command would read it as PATTERN=FLAGS: start it with a flag, or with PATTERN= (such as all=) written in the Goimagefile", at, firstRune(first.val))
	}
	return "", fmt.Errorf("%s the first flag holds white space or a quote, so it would need quotes, and the go command refuses a value that starts with a quote: put another flag first, or start with PATTERN= (such as all=) written in the Goimagefile", at)
}
