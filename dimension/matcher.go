package dimension

import (
	"hash/maphash"
	"slices"
	"strings"
)

// Matcher is a compiled set of topic filters: the stringValues of one
// TOPIC_FILTER dimension. Build it with [Compile]. A Matcher is immutable, so
// any number of goroutines may use it at once. The zero value and a nil
// *Matcher hold no filters: they match nothing, so every topic passes NotIn.
//
// The filters are kept as a level trie in flat, pointer-free arrays (nodes
// refer to each other by int32 index), so a large set adds no work for the
// garbage collector and a match touches few cache lines:
//
//   - a node's literal children sit in a short inline list while there are at
//     most [inlineFanout] of them, compared by an 8-byte prefix word first;
//     wider nodes put their children in one open-addressing table shared by
//     the whole trie, keyed by (parent, hash of the level);
//   - '+' is a dedicated child index and '#' a flag, never a lookup;
//   - a level containing ${iot:ClientId} is a pattern child, compared piece by
//     piece against the topic level and the client id without building a string;
//   - a set of wildcard-free filters is not a trie at all but one table lookup
//     of the whole topic, and a set containing "#" matches every topic that does
//     not start with '$' without a walk.
type Matcher struct {
	filters []string // as given to Compile, for Filters

	mode     uint8 // modeEmpty (the zero value), modeExact or modeTrie
	rootHash bool  // the set contains "#"

	nodes []node    // the trie; nodes[0] is the root
	edges []edge    // inline literal children, contiguous per node
	pats  []pattern // ${iot:ClientId} children, contiguous per node
	parts []span    // literal pieces of patterns, contiguous per pattern

	// table holds the literal children of nodes wider than inlineFanout and,
	// in modeExact, the whole filters (parent -1). Its length is a power of two
	// and at most half full, so probe sequences are short.
	table []slot
	mask  uint64
	seed  maphash.Seed

	blob string // every distinct label and pattern piece, once, back to back
}

const (
	modeEmpty uint8 = iota // no filters: nothing matches
	modeExact              // no wildcards or variables: one table lookup
	modeTrie               // anything else: a trie walk
)

// inlineFanout is the widest a node's literal child list may be before its
// children move to the shared table. Below it, scanning 24-byte entries that
// share a cache line or two beats hashing the level (matching.md §3: about 20%
// at small sets).
const inlineFanout = 8

// levelCache is how many topic levels' boundaries and hashes a match caches on
// its stack. Deeper levels are recomputed per visit, which only costs time on
// sets whose filters are that deep.
const levelCache = 16

// node flags.
const (
	flagEnd  uint8 = 1 << iota // a filter ends here: matches when the topic ends here
	flagHash                   // a filter "<path>/#" ends here: matches anything from here on
	flagBig                    // literal children are in Matcher.table, not Matcher.edges
	flagKids                   // the node has children of some kind
)

type node struct {
	edgeOff int32 // first inline literal child in edges (unless flagBig)
	edgeN   int32 // number of literal children
	plus    int32 // the '+' child, 0 if none (the root is nobody's child)
	patOff  int32 // first pattern child in pats
	patN    int32 // number of pattern children
	flags   uint8
}

// edge is an inline literal child. pre holds the label's first 8 bytes, little
// endian, zero-padded, so that most mismatches cost one integer compare.
type edge struct {
	pre   uint64
	off   uint32 // label position in blob
	n     uint32 // label length
	child int32
}

// slot is an entry of the shared hash table. child 0 marks an empty slot.
type slot struct {
	key    uint64 // mixKey(parent, hash of label)
	off    uint32 // label position in blob
	n      uint32 // label length
	parent int32
	child  int32
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

type span struct{ off, n uint32 }

// frame is a pending state of the trie walk: node n has consumed lvl topic
// levels, and the next level starts at byte start (> len(topic) when none is
// left).
type frame struct {
	n, lvl, start int32
}

// Filters returns a copy of the filters the Matcher was compiled from, in the
// order given, duplicates included.
func (m *Matcher) Filters() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.filters)
}

// Len returns the number of filters the Matcher was compiled from, duplicates
// included.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.filters)
}

// Passes reports whether a message on topic from clientID counts for a
// behavior whose dimension uses this Matcher with operator op: for In, whether
// the topic matches a filter; for NotIn, whether it matches none. An Operator
// that is neither In nor NotIn passes nothing.
func (m *Matcher) Passes(op Operator, topic, clientID string) bool {
	switch op {
	case In:
		return m.Match(topic, clientID)
	case NotIn:
		return !m.Match(topic, clientID)
	}
	return false
}

// Match reports whether topic matches at least one of the filters, with every
// ${iot:ClientId} standing for clientID. A topic that [ValidateTopic] rejects
// matches nothing. Match does not allocate (unless one topic can follow more
// than a few dozen alternative branches at once, which takes filter sets built
// to do so, see search).
func (m *Matcher) Match(topic, clientID string) bool {
	if m == nil || len(topic) == 0 || len(topic) > MaxTopicLen {
		return false
	}
	switch m.mode {
	case modeExact:
		// A topic equal to a wildcard-free valid filter is a valid topic name,
		// so no validTopic call is needed here.
		return m.lookup(-1, maphash.String(m.seed, topic), topic) != 0
	case modeTrie:
		if m.rootHash && topic[0] != '$' {
			return validTopic(topic)
		}
		// The walk treats '+' and '#' in the topic as ordinary bytes; validity
		// is checked only when the answer would be yes, as most lookups miss.
		return m.search(topic, clientID) && validTopic(topic)
	}
	return false
}

// search walks the trie depth first and stops at the first match. Each visit
// takes one topic level and generates the children it leads to: the literal
// child, the '+' child and any pattern child that matches. A generated child
// that completes a match ends the walk at once; one that can lead nowhere is
// not pushed.
func (m *Matcher) search(topic, clientID string) bool {
	var (
		ends   [levelCache]int32  // ends[i]: end offset of topic level i, for i < known
		hashes [levelCache]uint64 // hashes[i]: maphash of level i, if hashed has bit i
		known  int32
		hashed uint32
		buf    [8]frame
	)
	dollar := topic[0] == '$'
	tlen := int32(len(topic))
	stack := append(buf[:0], frame{})
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &m.nodes[f.n]

		// Find the level's end once per level, however many branches visit it.
		var end int32
		if f.lvl < known {
			end = ends[f.lvl]
		} else {
			end = tlen
			if i := strings.IndexByte(topic[f.start:], '/'); i >= 0 {
				end = f.start + int32(i)
			}
			if f.lvl == known && f.lvl < levelCache {
				ends[f.lvl] = end
				known++
			}
		}
		level := topic[f.start:end]
		next := end + 1 // > tlen when this was the last level

		if nd.edgeN > 0 {
			var c int32
			if nd.flags&flagBig == 0 {
				c = m.scan(m.edges[nd.edgeOff:nd.edgeOff+nd.edgeN], level)
			} else {
				var h uint64
				if f.lvl < levelCache && hashed&(1<<f.lvl) != 0 {
					h = hashes[f.lvl]
				} else {
					h = maphash.String(m.seed, level)
					if f.lvl < levelCache {
						hashes[f.lvl] = h
						hashed |= 1 << f.lvl
					}
				}
				c = m.lookup(f.n, h, level)
			}
			if c != 0 {
				switch m.enter(c, next, tlen) {
				case matched:
					return true
				case live:
					stack = append(stack, frame{c, f.lvl + 1, next})
				}
			}
		}
		// The '$' rule (MQTT-4.7.2-1) only concerns a wildcard first level, that
		// is the root's '+' child; the root's '#' never reaches the walk.
		if nd.plus != 0 && (f.n != 0 || !dollar) {
			switch m.enter(nd.plus, next, tlen) {
			case matched:
				return true
			case live:
				stack = append(stack, frame{nd.plus, f.lvl + 1, next})
			}
		}
		for i := nd.patOff; i < nd.patOff+nd.patN; i++ {
			p := &m.pats[i]
			if !m.patternMatches(p, level, clientID) {
				continue
			}
			switch m.enter(p.child, next, tlen) {
			case matched:
				return true
			case live:
				stack = append(stack, frame{p.child, f.lvl + 1, next})
			}
		}
	}
	return false
}

// Outcomes of entering a child node.
const (
	dead    = iota // no filter below can match
	matched        // a filter matches
	live           // keep walking from the child
)

// enter classifies child c, reached by consuming a topic level after which the
// next level starts at next.
func (m *Matcher) enter(c, next, tlen int32) int {
	fl := m.nodes[c].flags
	switch {
	case fl&flagHash != 0:
		return matched // '#' also matches its parent level (MQTT 4.7.1.2)
	case next > tlen:
		if fl&flagEnd != 0 {
			return matched
		}
		return dead
	case fl&flagKids != 0:
		return live
	}
	return dead
}

// scan finds level among a node's inline children and returns the child, or 0.
func (m *Matcher) scan(edges []edge, level string) int32 {
	pre := prefix8(level)
	n := uint32(len(level))
	for i := range edges {
		e := &edges[i]
		if e.pre == pre && e.n == n && (n <= 8 || m.blob[e.off+8:e.off+n] == level[8:]) {
			return e.child
		}
	}
	return 0
}

// lookup finds the child of parent labelled s, whose maphash is h, in the
// shared table and returns it, or 0.
func (m *Matcher) lookup(parent int32, h uint64, s string) int32 {
	if len(m.table) == 0 {
		return 0
	}
	key := mixKey(parent, h)
	for i := key & m.mask; ; i = (i + 1) & m.mask {
		sl := &m.table[i]
		if sl.child == 0 {
			return 0
		}
		if sl.key == key && sl.parent == parent && int(sl.n) == len(s) && m.blob[sl.off:sl.off+sl.n] == s {
			return sl.child
		}
	}
}

// patternMatches reports whether level equals the pattern with clientID in
// place of each ${iot:ClientId}.
func (m *Matcher) patternMatches(p *pattern, level, clientID string) bool {
	// Lengths first; int64 so that a huge clientID cannot overflow.
	if int64(len(level)) != int64(p.fixed)+int64(p.partN-1)*int64(len(clientID)) {
		return false
	}
	pos := 0
	for k, sp := range m.parts[p.partOff : p.partOff+p.partN] {
		if k > 0 {
			if level[pos:pos+len(clientID)] != clientID {
				return false
			}
			pos += len(clientID)
		}
		if level[pos:pos+int(sp.n)] != m.blob[sp.off:sp.off+sp.n] {
			return false
		}
		pos += int(sp.n)
	}
	return true
}

// mixKey combines a parent index and a label hash into a table key. The
// multiplier is odd, so distinct parents give distinct keys for equal hashes.
func mixKey(parent int32, h uint64) uint64 {
	return h ^ uint64(uint32(parent))*0x9e3779b97f4a7c15
}

// prefix8 packs the first 8 bytes of s (zero-padded) into a little-endian
// word. Short strings are read with overlapping loads instead of a byte loop.
func prefix8(s string) uint64 {
	switch n := len(s); {
	case n >= 8:
		return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	case n >= 4:
		lo := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
		t := s[n-4:]
		hi := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24
		return lo | hi<<(8*(n-4))
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<(8*(n/2)) | uint64(s[n-1])<<(8*(n-1))
	}
	return 0
}
