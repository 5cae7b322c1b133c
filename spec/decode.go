package spec

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSize bounds a Goimagefile: a spec is a few dozen lines, and a larger input is far more
// likely a mistake (or an attack on the decoder) than a real build.
const MaxSize = 256 << 10

// Parse decodes and validates a Goimagefile. Input that is not one UTF-8 YAML document is
// refused first, with the position of the problem; then unknown fields, duplicate keys,
// wrong types, aliases expanding past their budget, a missing version and invalid values
// are all reported together as *Errors, sorted by position.
func Parse(data []byte) (*Spec, error) {
	if len(data) > MaxSize {
		return nil, Errors{{Msg: fmt.Sprintf("file is %d bytes, over the %d byte limit", len(data), MaxSize)}}
	}
	if err := checkUTF8(data); err != nil {
		return nil, Errors{err}
	}
	doc, err := parseYAML(data)
	if err != nil {
		return nil, Errors{err}
	}
	if doc == nil || len(doc.Content) == 0 {
		return nil, Errors{{Pos: Pos{1, 1}, Path: "version", Msg: "required (the file is empty)"}}
	}
	d := decoder{positions: map[string]Pos{}, ends: map[string]Pos{}, lines: sourceLines(data), checked: map[*yaml.Node]bool{}}
	s := &Spec{}
	root := doc.Content[0]
	d.decode(root, reflect.ValueOf(s).Elem(), "")
	s.positions, s.ends = d.positions, d.ends
	if _, ok := d.positions["version"]; !ok && root.Kind == yaml.MappingNode {
		d.errs = append(d.errs, &FieldError{Pos: Pos{root.Line, root.Column}, Path: "version", Msg: "required: add `version: 1`"})
	}
	if len(d.errs) == 0 {
		s.applyDefaults()
		d.errs = s.validate()
	}
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i].Pos, d.errs[j].Pos
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, d.errs
	}
	return s, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into a FieldError with its line.
func yamlError(err error) *FieldError {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{Pos: Pos{line, 1}, Msg: "invalid YAML: " + m[2]}
	}
	return &FieldError{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder fills Go values from YAML nodes by their `yaml` tags, strictly: every key must be
// a known field and every value of the field's kind. It records each field's position and
// goes on after a problem, so that one run reports them all.
type decoder struct {
	positions map[string]Pos
	ends      map[string]Pos // where each value's text ends
	lines     []string       // the file, for finding where values end
	errs      Errors
	depth     int
	budget    aliasBudget
	// checked are the mappings whose keys duplicateKeys has checked.
	checked map[*yaml.Node]bool
}

// maxDepth bounds nesting; the format itself is never deeper than four.
const maxDepth = 16

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Pos: Pos{n.Line, n.Column}, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		d.decodeAlias(n, v, path)
		return
	}
	if !d.spend(n) {
		return
	}
	if path != "" {
		d.positions[path] = Pos{n.Line, n.Column}
		d.ends[path] = nodeEnd(d.lines, n)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the default
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxDepth {
		d.errorf(n, path, "nested too deeply")
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "true or false"); ok {
			b, err := strconv.ParseBool(s)
			if n.Tag != "!!bool" || err != nil {
				d.errorf(n, path, "want true or false, got %q", s)
				return
			}
			v.SetBool(b)
		}
	case reflect.Int:
		if s, ok := d.scalar(n, path, "a number"); ok {
			i, err := strconv.Atoi(s)
			if n.Tag != "!!int" || err != nil {
				d.errorf(n, path, "want a whole number, got %q", s)
				return
			}
			v.SetInt(int64(i))
		}
	default:
		panic(fmt.Sprintf("spec: no decoding for %s", v.Type()))
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	d.duplicateKeys(n, path)
	fields := fieldsByTag(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, ok := d.mapKey(n, i, path)
		if !ok {
			continue
		}
		val := n.Content[i+1]
		idx, ok := fields[key.Value]
		if !ok {
			d.errorf(key, join(path, key.Value), "unknown field%s", suggest(key.Value, fields))
			continue
		}
		d.decode(val, v.Field(idx), join(path, key.Value))
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	d.duplicateKeys(n, path)
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, ok := d.mapKey(n, i, path)
		if !ok {
			continue
		}
		val := n.Content[i+1]
		p := join(path, key.Value)
		k, ok := d.scalar(key, p, "a string key")
		if !ok {
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, p)
		m.SetMapIndex(reflect.ValueOf(k), e)
	}
	v.Set(m)
}

// duplicateKeys reports every key of a mapping that an earlier key of it already set,
// which yaml.v3 accepts in a yaml.Node (the last would win). A mapping reached again
// through an alias is not reported again.
func (d *decoder) duplicateKeys(n *yaml.Node, path string) {
	if d.checked[n] {
		return
	}
	d.checked[n] = true
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i]
		if key.Kind != yaml.ScalarNode {
			continue // a list, mapping or alias key is an error of its own
		}
		if f, ok := first[key.Value]; ok {
			d.errorf(key, join(path, key.Value), "duplicate key: already set on line %d", f.Line)
			continue
		}
		first[key.Value] = key
	}
}

func fieldsByTag(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" {
			fields[tag] = i
		}
	}
	return fields
}

// suggest names the known field closest to a misspelt one.
func suggest(name string, fields map[string]int) string {
	best, bestDist := "", 3
	for f := range fields {
		if dist := editDistance(strings.ToLower(name), f); dist < bestDist || dist == bestDist && best != "" && f < best {
			best, bestDist = f, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}
