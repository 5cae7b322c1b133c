package spec

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// Alias expansion budget. yaml.v3 keeps an alias as one AliasNode pointing at its anchor, so
// parsing stays linear in the input; it is the decoder that expands an alias, walking the
// anchor's subtree again for each one, and aliases of aliases multiply: 10 KB holding a
// 1000-item list shared by the four flag lists of 1000 binaries made the walk visit four
// million nodes and allocate 900 MB, and a MaxSize file could ask for billions.
//
// Without aliases the walk visits each node of the input once, so MaxSize bounds it; only
// what aliases add is counted, an anchor's subtree every time an alias expands it. A real
// Goimagefile has a few hundred nodes, and sharing lists of flags among even MaxBinaries
// binaries adds a few thousand (36 flags shared by 256 binaries: 9,435); 10,000 nodes
// costs under 3 MB. Scalar text is counted too, because one alias can stand for a scalar
// as large as the file and an invalid value is quoted in its error once per copy: 1 MiB
// is four times MaxSize, far more than any value a build repeats.
const (
	maxAliasNodes = 10_000
	maxAliasBytes = 1 << 20
)

// aliasBudget is what alias expansion has spent so far.
type aliasBudget struct {
	nodes, bytes int
	// alias is the outermost alias the walk is expanding, nil outside any; an overrun is
	// reported there, at the alias the file spells out rather than inside its anchor.
	alias     *yaml.Node
	aliasPath string
	// spent is set once the budget is gone: no alias is expanded after that, but the
	// literal rest of the file is still decoded, so that its problems are reported too.
	spent bool
}

// decodeAlias decodes an alias by decoding its anchor in its place, within the budget.
func (d *decoder) decodeAlias(n *yaml.Node, v reflect.Value, path string) {
	if d.budget.spent {
		return
	}
	if d.budget.alias == nil {
		d.budget.alias, d.budget.aliasPath = n, path
		defer func() { d.budget.alias = nil }()
	}
	d.decode(n.Alias, v, path)
}

// spend charges one node to the budget if the walk is inside an alias; false means the
// budget is gone and the node must not be decoded. The first overrun is reported, once.
func (d *decoder) spend(n *yaml.Node) bool {
	b := &d.budget
	if b.alias == nil {
		return true
	}
	if b.spent {
		return false
	}
	b.nodes++
	b.bytes += len(n.Value)
	switch {
	case b.nodes > maxAliasNodes:
		d.errorf(b.alias, b.aliasPath, "aliases expand to more than %d values: a Goimagefile needs far fewer", maxAliasNodes)
	case b.bytes > maxAliasBytes:
		d.errorf(b.alias, b.aliasPath, "aliases expand to more than %d bytes of text: a Goimagefile needs far less", maxAliasBytes)
	default:
		return true
	}
	b.spent = true
	return false
}

// mapKey is the key node at i of a mapping, or false after an error. An alias as a key
// is refused rather than expanded: no field name needs one, and each expansion would
// copy the anchor's text into a field path, outside the budget.
func (d *decoder) mapKey(n *yaml.Node, i int, path string) (*yaml.Node, bool) {
	key := n.Content[i]
	if !d.spend(key) {
		return nil, false
	}
	if key.Kind == yaml.AliasNode {
		d.errorf(key, path, "an alias cannot be a key: spell the key out")
		return nil, false
	}
	return key, true
}
