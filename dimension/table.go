package dimension

import (
	"hash/maphash"
	"math/bits"
	"strings"
)

// table is an open-addressing hash table from (parent, label) to a child
// index, shared by all the wide nodes of a trie or states of an automaton.
// Labels live in the Matcher's blob. Its length is a power of two and it is
// at most half full, so probe sequences are short; it is never written after
// Compile.
type table struct {
	slots []slot
	mask  uint64
}

// slot is an entry of a table. child 0 marks an empty slot: index 0 is the
// trie's root and the automaton's dead state, and neither is anybody's child.
// A lookup compares pre and n first, so labels of up to 8 bytes never need
// the blob.
type slot struct {
	pre    uint64 // prefix8 of the label
	off    uint32 // label position in blob
	n      uint32 // label length
	parent int32
	child  int32
}

// newTable returns a table for n entries.
func newTable(n int) table {
	if n == 0 {
		return table{}
	}
	size := 1 << bits.Len(uint(2*n-1)) // a power of two ≥ 2n
	return table{slots: make([]slot, size), mask: uint64(size - 1)}
}

// insert adds parent --label--> child, where label is blob[off:off+n], h is
// its hashLevel and pre its prefix8. Each (parent, label) is inserted at most
// once.
func (t *table) insert(parent int32, h, pre uint64, off, n uint32, child int32) {
	i := home(parent, h) & t.mask
	for t.slots[i].child != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = slot{pre: pre, off: off, n: n, parent: parent, child: child}
}

// find returns the child of parent labelled s, whose hashLevel is h and
// prefix8 is pre, or 0.
func (t *table) find(parent int32, h, pre uint64, s, blob string) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	n := uint32(len(s))
	for i := home(parent, h) & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.child == 0 {
			return 0
		}
		if sl.pre == pre && sl.n == n && sl.parent == parent && (n <= 8 || blob[sl.off+8:sl.off+n] == s[8:]) {
			return sl.child
		}
	}
}

// home combines a parent index and a label hash into a table position, before
// masking. The multiplier is odd, so that equal labels under different
// parents spread out.
func home(parent int32, h uint64) uint64 {
	return h ^ uint64(uint32(parent))*0x9e3779b97f4a7c15
}

// hashLevel hashes a topic level or label s whose prefix8 is pre. Levels of
// up to 16 bytes, nearly all of them in practice, cost the word loads already
// done and one 128-bit multiply, several times cheaper than a maphash call;
// longer ones go to maphash. A table never depends on the hash for
// correctness, only for speed, and its contents are fixed at Compile, so a
// device cannot lengthen a probe sequence by choosing topics.
func hashLevel(seed maphash.Seed, s string, pre uint64) uint64 {
	switch n := len(s); {
	case n <= 8:
		return hashShort(pre, n)
	case n <= 16:
		return mix(pre, load64(s[n-8:])^uint64(n))
	}
	return maphash.String(seed, s)
}

// hashShort is hashLevel of a level of n ≤ 8 bytes: small enough to inline.
func hashShort(pre uint64, n int) uint64 { return mix(pre, uint64(n)) }

// mix is a 128-bit multiply folded to 64 bits (wyhash's mum).
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^0xa0761d6478bd642f, b^0xe7037ed1a0b428db)
	return hi ^ lo
}

// load64 reads the first 8 bytes of s, little endian. The compiler merges
// the byte loads into one.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// prefix8 packs the first 8 bytes of s (zero-padded) into a little-endian
// word. Short strings are read with overlapping loads instead of a byte loop;
// the overlapping bytes land on the same positions, so OR keeps them exact.
func prefix8(s string) uint64 {
	switch n := len(s); {
	case n >= 8:
		return load64(s)
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

// SWAR constants: the zero-byte test (x - ones) &^ x & highs has its lowest
// set bit in the first zero byte of x (borrows can only set bits above it).
const (
	ones    = 0x0101010101010101
	highs   = 0x8080808080808080
	slashes = 0x2f2f2f2f2f2f2f2f // "////////"
)

// nextLevel returns the end of the level that starts at offset i of t (the
// offset of the next '/', or len(t)) and the level's prefix8. Levels are
// short, so it looks at 8 bytes at a time in a register instead of paying
// for a strings.IndexByte call and a prefix8 call per level.
func nextLevel(t string, i int) (end int, pre uint64) {
	rem := len(t) - i
	var w uint64
	switch {
	case rem >= 8:
		w = load64(t[i:])
	case len(t) >= 8: // the last 8 bytes of t, shifted down to start at i
		w = load64(t[len(t)-8:]) >> (8 * (8 - rem))
	default:
		w = prefix8(t[i:])
	}
	x := w ^ slashes
	z := (x - ones) &^ x & highs
	if rem < 8 {
		z &= 1<<(8*rem) - 1 // the zero padding is not part of the level
	}
	switch {
	case z != 0:
		k := bits.TrailingZeros64(z) >> 3
		return i + k, w & (1<<(8*k) - 1)
	case rem <= 8:
		return len(t), w
	}
	return levelEnd(t, i+8), w
}

// levelEnd returns the offset of the first '/' in t at or after i, or len(t).
// Like nextLevel it tests 8 bytes at a time, then hands long levels to
// strings.IndexByte.
func levelEnd(t string, i int) int {
	for stop := min(len(t), i+32); i+8 <= stop; i += 8 {
		x := load64(t[i:]) ^ slashes
		if z := (x - ones) &^ x & highs; z != 0 {
			return i + bits.TrailingZeros64(z)>>3
		}
	}
	if len(t)-i > 8 {
		return i + indexSlash(t[i:])
	}
	for ; i < len(t); i++ {
		if t[i] == '/' {
			return i
		}
	}
	return len(t)
}

// indexSlash returns the offset of the first '/' in s, or len(s).
func indexSlash(s string) int {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return i
	}
	return len(s)
}
