package dimension

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
)

// Compile validates every filter with [ValidateFilter] and builds a [Matcher]
// for the set. An error names the first invalid filter by its index, as
// "stringValues[3]: …", and wraps its *[FilterError]. Compile keeps its own
// copy of filters.
//
// An empty set is valid and matches nothing. Compile does not enforce the
// service's limit of 100 values per dimension (that is the control plane's
// job), and handles sets of any size.
func Compile(filters []string) (*Matcher, error) {
	for i, f := range filters {
		if err := ValidateFilter(f); err != nil {
			return nil, fmt.Errorf("stringValues[%d]: %w", i, err)
		}
	}
	if len(filters) > math.MaxInt32/(MaxFilterLen+2) {
		// Node indices are int32; each filter adds at most 258 nodes.
		return nil, fmt.Errorf("dimension: %d filters are more than a Matcher can hold", len(filters))
	}
	m := &Matcher{filters: append([]string(nil), filters...)}
	if len(filters) == 0 {
		return m, nil
	}
	m.seed = maphash.MakeSeed()
	b := builder{m: m, blobAt: map[string]uint32{}}
	if isExactSet(filters) {
		m.mode = modeExact
		b.buildExact(filters)
	} else {
		m.mode = modeTrie
		b.buildTrie(filters)
	}
	m.blob = b.blob.String()
	return m, nil
}

// isExactSet reports whether no filter has a wildcard or a variable, so that a
// topic matches exactly when it equals a filter.
func isExactSet(filters []string) bool {
	for _, f := range filters {
		if strings.ContainsAny(f, "+#") || strings.Contains(f, ClientIDVariable) {
			return false
		}
	}
	return true
}

// builder holds the state of one Compile.
type builder struct {
	m      *Matcher
	blob   strings.Builder
	blobAt map[string]uint32 // interned strings: each label is stored in blob once
}

// intern returns the blob offset of s, appending it the first time.
func (b *builder) intern(s string) uint32 {
	if off, ok := b.blobAt[s]; ok {
		return off
	}
	off := uint32(b.blob.Len())
	b.blob.WriteString(s)
	b.blobAt[s] = off
	return off
}

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

func (b *builder) buildTrie(filters []string) {
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

	// Flatten. Node indices stay as assigned above.
	m := b.m
	m.nodes = make([]node, len(tn))
	var big int
	for i := range tn {
		if len(tn[i].litKeys) > inlineFanout {
			big += len(tn[i].litKeys)
		}
	}
	if big > 0 {
		size := 1 << bits.Len(uint(2*big-1)) // a power of two ≥ 2·big
		m.table = make([]slot, size)
		m.mask = uint64(size - 1)
	}
	for i := range tn {
		t := &tn[i]
		nd := node{plus: t.plus, flags: t.flags}
		if len(t.litKeys)+len(t.patKeys) > 0 || t.plus != 0 {
			nd.flags |= flagKids
		}
		nd.edgeN = int32(len(t.litKeys))
		if len(t.litKeys) > inlineFanout {
			nd.flags |= flagBig
			for _, k := range t.litKeys {
				b.insert(int32(i), k, t.lit[k])
			}
		} else {
			nd.edgeOff = int32(len(m.edges))
			for _, k := range t.litKeys {
				m.edges = append(m.edges, edge{pre: prefix8(k), off: b.intern(k), n: uint32(len(k)), child: t.lit[k]})
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
		// The set contains "#": Match answers non-'$' topics without a walk,
		// and the walk must not see the flag, which '$' topics may not use.
		if i == 0 && nd.flags&flagHash != 0 {
			m.rootHash = true
			nd.flags &^= flagHash
		}
		m.nodes[i] = nd
	}
}

// buildExact puts every distinct filter in the table under parent -1.
func (b *builder) buildExact(filters []string) {
	m := b.m
	size := 1 << bits.Len(uint(2*len(filters)-1)) // a power of two ≥ 2·len
	m.table = make([]slot, size)
	m.mask = uint64(size - 1)
	seen := make(map[string]struct{}, len(filters))
	for _, f := range filters {
		if _, dup := seen[f]; dup {
			continue
		}
		seen[f] = struct{}{}
		b.insert(-1, f, 1) // any non-zero child means "present"
	}
}

// insert adds the edge parent --label--> child to the table.
func (b *builder) insert(parent int32, label string, child int32) {
	m := b.m
	key := mixKey(parent, maphash.String(m.seed, label))
	i := key & m.mask
	for m.table[i].child != 0 {
		i = (i + 1) & m.mask
	}
	m.table[i] = slot{key: key, off: b.intern(label), n: uint32(len(label)), parent: parent, child: child}
}
