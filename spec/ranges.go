package spec

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Range is where a value stands in the file: from Start to End, End just past its last
// character (End.Column is exclusive), both 1-based as editors count.
type Range struct {
	Start, End Pos
}

// Range is the range of the value at a field path; for a path the file does not spell out,
// its nearest spelled ancestor's. A value whose end is unknown ends where it starts.
func (s *Spec) Range(path string) Range {
	for path != "" {
		if p, ok := s.positions[path]; ok {
			end, ok := s.ends[path]
			if !ok {
				end = p
			}
			return Range{Start: p, End: end}
		}
		path = parentPath(path)
	}
	return Range{}
}

// nodeEnd is where a node's text ends: past the closing quote of a quoted scalar, the last
// character of a plain one, the last line of a block scalar, the closing bracket of a flow
// collection, and the end of the last value of a block collection.
func nodeEnd(lines []string, n *yaml.Node) Pos {
	switch n.Kind {
	case yaml.AliasNode:
		return Pos{n.Line, n.Column + 1 + utf8.RuneCountInString(n.Value)}
	case yaml.ScalarNode:
		return scalarEnd(lines, n)
	}
	end := Pos{n.Line, n.Column}
	if len(n.Content) > 0 {
		end = nodeEnd(lines, n.Content[len(n.Content)-1])
	}
	if n.Style&yaml.FlowStyle != 0 {
		close := byte(']')
		if n.Kind == yaml.MappingNode {
			close = '}'
		}
		end = scanTo(lines, end, func(line string, i int) (int, bool) {
			if line[i] == close {
				return i + 1, true
			}
			return 0, false
		})
	}
	return end
}

func scalarEnd(lines []string, n *yaml.Node) Pos {
	start := Pos{n.Line, n.Column}
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		return scanTo(lines, Pos{n.Line, n.Column + 1}, func(line string, i int) (int, bool) {
			if line[i] == '"' && !escaped(line, i) {
				return i + 1, true
			}
			return 0, false
		})
	case yaml.SingleQuotedStyle:
		skip := false
		return scanTo(lines, Pos{n.Line, n.Column + 1}, func(line string, i int) (int, bool) {
			switch {
			case skip:
				skip = false
			case line[i] == '\'' && i+1 < len(line) && line[i+1] == '\'':
				skip = true // '' stands for one quote
			case line[i] == '\'':
				return i + 1, true
			}
			return 0, false
		})
	case yaml.LiteralStyle, yaml.FoldedStyle:
		last := n.Line + strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
		if last > len(lines) {
			return start
		}
		return Pos{last, utf8.RuneCountInString(strings.TrimRight(lines[last-1], " \t")) + 1}
	}
	if strings.Contains(n.Value, "\n") || n.Line > len(lines) {
		return start // a plain scalar folded over lines: rare enough to point at its start
	}
	return Pos{n.Line, n.Column + utf8.RuneCountInString(n.Value)}
}

// escaped reports whether the byte at i follows an odd number of backslashes.
func escaped(line string, i int) bool {
	k := 0
	for j := i - 1; j >= 0 && line[j] == '\\'; j-- {
		k++
	}
	return k%2 == 1
}

// scanTo looks from p onwards, line by line, for the byte where found says a value ends, and
// returns the position past it; p itself when the file ends first.
func scanTo(lines []string, p Pos, found func(line string, i int) (int, bool)) Pos {
	for l := p.Line; l >= 1 && l <= len(lines); l++ {
		line := lines[l-1]
		from := 0
		if l == p.Line {
			from = byteOffset(line, p.Column)
		}
		for i := from; i < len(line); i++ {
			if end, ok := found(line, i); ok {
				return Pos{l, utf8.RuneCountInString(line[:end]) + 1}
			}
		}
	}
	return p
}

// byteOffset is the byte index of a 1-based column counted in characters.
func byteOffset(line string, column int) int {
	i := 0
	for c := 1; c < column && i < len(line); c++ {
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
	}
	return i
}

// sourceLines splits the file into lines as yaml.v3 counts them, without a byte order mark.
func sourceLines(data []byte) []string {
	text := strings.TrimPrefix(string(data), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.Split(text, "\n")
}
