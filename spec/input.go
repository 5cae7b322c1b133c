package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// checkUTF8 reports the first byte of data that is not UTF-8. yaml.v3 refuses such input
// too, but with no line to look at; scanning first gives the error a position. It counts
// as yaml.v3 does, so that this position agrees with every other one: a leading byte order
// mark takes no column, a column is a character, and a line ends at \n, \r\n, a lone \r,
// NEL, LS or PS.
func checkUTF8(data []byte) *FieldError {
	if utf8.Valid(data) {
		return nil
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		// yaml.v3 would read UTF-16, but BuildKit finds the syntax line only in UTF-8.
		return &FieldError{Pos: Pos{1, 1}, Msg: "the file is UTF-16: save it as UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &FieldError{Pos: Pos{line, col}, Msg: fmt.Sprintf("invalid UTF-8: byte %#x is not part of a character; save the file as UTF-8", data[i])}
		case r == '\r' && i+1 < len(data) && data[i+1] == '\n':
			// the \n that follows ends the line
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return nil // unreachable: data was not valid UTF-8
}

// parseYAML reads the one YAML document of a Goimagefile into a node tree; a nil node
// with no error means the file holds no document. yaml.Unmarshal would read the first of
// several documents and silently drop the rest, settings the author meant to apply, so a
// Decoder reads on to make sure there is no second one.
func parseYAML(data []byte) (*yaml.Node, *FieldError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, nil
	case err != nil:
		return nil, yamlError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return &doc, nil
	case err != nil:
		return nil, yamlError(err)
	}
	return nil, &FieldError{Pos: Pos{next.Line, next.Column}, Msg: "a second YAML document starts here: a Goimagefile is one document"}
}
