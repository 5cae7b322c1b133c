package dockerfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every spec value reaches the Dockerfile through one of three encodings, chosen by who reads
// it next:
//
//   - JSON lists (exec-form RUN, ENTRYPOINT, CMD) reach a program's argv untouched: BuildKit
//     neither expands nor unquotes them, so they only need to be valid argv words.
//   - Dockerfile words (WORKDIR, USER, STOPSIGNAL, ENV, LABEL, COPY, VOLUME) go through
//     BuildKit's shell-like lexer, which removes quotes, honours backslash escapes and expands
//     $NAME. They are single-quoted (dfWord), and must hold no line break: a Dockerfile line
//     ends at a newline whatever the quoting.
//   - Shell words (the one shell-form RUN, for build args) are single-quoted for POSIX sh
//     (shWord), and hold no line break either. BuildKit passes that line to sh as it is, but
//     scans it for heredocs first (see shellSafe).

// plain are the bytes neither BuildKit's lexer nor a POSIX shell gives a meaning anywhere in a
// word: a word made only of them needs no quotes. '$', quotes, backslash, '<' (heredocs),
// '#', '[' (JSON), '*' and '~' are left out.
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_./:@%+,=-", c) >= 0) {
			return false
		}
	}
	return true
}

// singleQuote quotes s for POSIX sh and for BuildKit's lexer alike: both read everything
// between single quotes literally, and both read \' outside quotes as a quote.
func singleQuote(s string) string {
	if s == "" {
		return "''"
	}
	parts := strings.Split(s, "'")
	for i, p := range parts {
		if p != "" {
			parts[i] = "'" + p + "'"
		}
	}
	return strings.Join(parts, `\'`)
}

// dfWord is s as one word of Dockerfile text that BuildKit's lexer turns back into exactly s.
// A leading '-' is quoted too: "--" at the start of an argument would make it a flag.
func dfWord(s string) string {
	if plain(s) && s[0] != '-' {
		return s
	}
	return singleQuote(s)
}

// shWord is s as one POSIX shell word, or as a Dockerfile word that cannot start an argument.
// Shell words of goimage's are never a command's first word, so a '=' cannot make them an
// assignment.
func shWord(s string) string {
	if plain(s) {
		return s
	}
	return singleQuote(s)
}

// jsonList writes an exec-form list. HTML escaping is off so that '&' and '<' read as
// themselves; it changes nothing BuildKit decodes.
func jsonList(l []string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(l) // a list of strings always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// words writes the arguments of COPY or VOLUME, already dfWord-encoded. Without JSON,
// BuildKit splits these instructions at every space, quoted or not, so a word holding a space
// needs the JSON form; BuildKit still unquotes and expands each JSON element.
func words(encoded []string) string {
	for _, w := range encoded {
		if strings.Contains(w, " ") {
			return jsonList(encoded)
		}
	}
	return strings.Join(encoded, " ")
}

// argv checks a value that becomes a program argument or a path: no argument can hold a NUL
// byte, and JSON cannot carry invalid UTF-8 (it would arrive as U+FFFD).
func (w *writer) argv(field, v string) bool {
	switch {
	case !utf8.ValidString(v):
		w.fail(field, "%q is not valid UTF-8", v)
	case strings.IndexByte(v, 0) >= 0:
		w.fail(field, "%q holds a NUL byte, which no argument or path can", v)
	default:
		return true
	}
	return false
}

// text checks a value written into a Dockerfile line or a shell-form command: on top of argv's
// rules, no control character, since a line break would start a new instruction.
func (w *writer) text(field, v string) bool {
	if !w.argv(field, v) {
		return false
	}
	if i := strings.IndexFunc(v, isControl); i >= 0 {
		w.fail(field, "%q holds a line break or other control character, which a Dockerfile line cannot carry", v)
		return false
	}
	return true
}

func isControl(r rune) bool { return r < 0x80 && unicode.IsControl(r) }

// word is v checked and encoded as a Dockerfile word.
func (w *writer) word(field, v string) string {
	if !w.text(field, v) {
		return "''"
	}
	return dfWord(v)
}

// value is v checked and encoded as the value of an ENV or LABEL pair, which follows "KEY="
// and so can never be read as a flag.
func (w *writer) value(field, v string) string {
	if !w.text(field, v) {
		return "''"
	}
	return shWord(v)
}

// pathKeyRe is a map key that reads as one element of a field path.
var pathKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// keyPath is the field path of a map entry, as spec writes it ("image.labels.KEY"), with the
// key quoted when it would not read as one.
func keyPath(field, key string) string {
	if pathKeyRe.MatchString(key) {
		return field + "." + key
	}
	return fmt.Sprintf("%s[%s]", field, strconv.Quote(key))
}
