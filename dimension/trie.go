package dimension

import "strings"

// The level trie: one node per distinct filter prefix, built from the filters
// with maps and flattened into the Matcher's pointer-free arrays.

// inlineFanout is the widest a literal child list may be before it moves to
// a shared hash table. Below it, scanning 24-byte entries that share a cache
// line or two beats hashing the level (matching.md §3: about 20% at small
// sets).
const inlineFanout = 8

// node flags.
const (
	flagEnd  uint8 = 1 << iota // a filter ends here: matches when the topic ends here
	flagHash                   // a filter "<path>/#" ends here: matches anything from here on
	flagBig                    // literal children are in Matcher.ntable, not Matcher.edges
	flagKids                   // the node has children of some kind
)

// node is a trie node.
type node struct {
	edgeOff int32 // first inline literal child in edges (unless flagBig)
	edgeN   int32 // number of literal children
	plus    int32 // the '+' child, 0 if none (the root is nobody's child)
	patOff  int32 // first pattern child in pats
	patN    int32 // number of pattern children
	flags   uint8
}

// edge is an inline literal child or transition. pre holds the label's first
// 8 bytes, little endian, zero-padded, so that most mismatches cost one
// integer compare.
type edge struct {
	pre   uint64
	off   uint32 // label position in blob
	n     uint32 // label length
	child int32
}

// pattern is a level containing ${iot:ClientId}: parts[partOff:partOff+partN]
// are the literal pieces between occurrences of the variable, so a level with
// k occurrences has k+1 pieces (possibly empty) totalling fixed bytes.
type pattern struct {
	partOff int32
	partN   int32
	fixed   int32
	child   int32
}

// span is a piece of blob.
type span struct{ off, n uint32 }

// tnode is a trie node while building: maps for deduplication plus the keys in
// insertion order, so that the compiled layout does not depend on map order.
type tnode struct {
	lit     map[string]int32
	litKeys []string
	pat     map[string]int32
	patKeys []string
	plus    int32
	flags   uint8
}

// buildTrie returns the level trie of filters; element 0 is the root.
func buildTrie(filters []string) []tnode {
	tn := []tnode{{}}
	child := func(parent int32, level string) int32 {
		p := &tn[parent]
		if level == "+" {
			if p.plus == 0 {
				p.plus = int32(len(tn))
				tn = append(tn, tnode{})
			}
			return p.plus
		}
		byKey, keys := &p.lit, &p.litKeys
		if strings.Contains(level, ClientIDVariable) {
			byKey, keys = &p.pat, &p.patKeys
		}
		if c, ok := (*byKey)[level]; ok {
			return c
		}
		if *byKey == nil {
			*byKey = map[string]int32{}
		}
		c := int32(len(tn))
		(*byKey)[level] = c
		*keys = append(*keys, level)
		tn = append(tn, tnode{}) // may move p's array; p is not used again
		return c
	}
	for _, f := range filters {
		var n int32
		for level := range strings.SplitSeq(f, "/") {
			if level == "#" {
				tn[n].flags |= flagHash
				break
			}
			n = child(n, level)
		}
		if !strings.HasSuffix(f, "#") {
			tn[n].flags |= flagEnd
		}
	}
	return tn
}

// flatten lays the trie out in the Matcher's flat arrays for the walk.
// Node indices stay as buildTrie assigned them.
func (b *builder) flatten(tn []tnode) {
	m := b.m
	m.nodes = make([]node, len(tn))
	big := 0
	for i := range tn {
		if len(tn[i].litKeys) > inlineFanout {
			big += len(tn[i].litKeys)
		}
	}
	m.ntable = newTable(big)
	for i := range tn {
		t := &tn[i]
		nd := node{plus: t.plus, flags: t.flags, edgeN: int32(len(t.litKeys))}
		if len(t.litKeys)+len(t.patKeys) > 0 || t.plus != 0 {
			nd.flags |= flagKids
		}
		if len(t.litKeys) > inlineFanout {
			nd.flags |= flagBig
			for _, k := range t.litKeys {
				b.insert(&m.ntable, int32(i), k, t.lit[k])
			}
		} else {
			nd.edgeOff = int32(len(m.edges))
			for _, k := range t.litKeys {
				m.edges = append(m.edges, b.edge(k, t.lit[k]))
			}
		}
		nd.patOff, nd.patN = int32(len(m.pats)), int32(len(t.patKeys))
		for _, k := range t.patKeys {
			p := pattern{partOff: int32(len(m.parts)), child: t.pat[k]}
			for piece := range strings.SplitSeq(k, ClientIDVariable) {
				m.parts = append(m.parts, span{off: b.intern(piece), n: uint32(len(piece))})
				p.partN++
				p.fixed += int32(len(piece))
			}
			m.pats = append(m.pats, p)
		}
		m.nodes[i] = nd
	}
}

// edge returns the inline edge --label--> child.
func (b *builder) edge(label string, child int32) edge {
	return edge{pre: prefix8(label), off: b.intern(label), n: uint32(len(label)), child: child}
}
