package criteria

import (
	"hash/maphash"
	"math/bits"
)

// maxCluster bounds the run of occupied slots a lookup may scan. A set whose
// cheap hash clusters worse (strings that agree in length and in their first
// and last eight bytes) is rebuilt with maphash, so no input set makes
// lookups linear.
const maxCluster = 24

// StringSet is an immutable set of strings: an open-addressing table at
// most half full, with a one-byte tag per slot so that a miss rarely touches
// string data. It hashes only a string's length and its first and last
// eight bytes, which beats a Go map for the short identifiers that custom
// string-list metrics carry; sets that would cluster under that hash fall
// back to hash/maphash. Comparison is byte-exact. The zero StringSet is empty
// and ready to use.
type StringSet struct {
	tags  []uint8  // 0 = empty slot, else 0x80 | low 7 bits of the hash
	slots []string // the member in each occupied slot
	shift uint8    // 64 - log2(len(slots)): the hash's top bits pick the slot
	seed  maphash.Seed
	cheap bool // cheapHash, else maphash with seed
	n     int
}

// NewStringSet returns the set of strs. Duplicates are harmless.
func NewStringSet(strs []string) *StringSet {
	uniq := make(map[string]struct{}, len(strs))
	members := make([]string, 0, len(strs))
	for _, s := range strs {
		if _, dup := uniq[s]; !dup {
			uniq[s] = struct{}{}
			members = append(members, s)
		}
	}
	s := &StringSet{n: len(members)}
	if s.n == 0 {
		return s
	}
	size := max(8, 1<<bits.Len(uint(2*s.n-1)))
	s.cheap = true
	for !s.build(members, size) {
		if s.cheap {
			s.cheap, s.seed = false, maphash.MakeSeed()
			continue
		}
		size *= 2 // maphash clustered: vanishingly rare, grow the table
	}
	return s
}

// build fills a table of size slots and reports whether every cluster is at
// most maxCluster long.
func (s *StringSet) build(members []string, size int) bool {
	s.tags = make([]uint8, size)
	s.slots = make([]string, size)
	s.shift = uint8(64 - bits.Len(uint(size-1)))
	mask := uint64(size - 1)
	for _, m := range members {
		h := s.hash(m)
		i := h >> s.shift
		for s.tags[i] != 0 {
			i = (i + 1) & mask
		}
		s.tags[i], s.slots[i] = tagOf(h), m
	}
	return longestCluster(s.tags) <= maxCluster
}

// longestCluster returns the longest run of occupied slots, wrapping around.
func longestCluster(tags []uint8) int {
	longest, run := 0, 0
	for i := range 2 * len(tags) {
		if tags[i%len(tags)] == 0 {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return min(longest, len(tags))
}

func tagOf(h uint64) uint8 { return uint8(h) | 0x80 }

func (s *StringSet) hash(x string) uint64 {
	if s.cheap {
		return cheapHash(x)
	}
	return maphash.String(s.seed, x)
}

// Contains reports whether x is in s. A nil s is empty.
func (s *StringSet) Contains(x string) bool {
	if s == nil || s.tags == nil {
		return false
	}
	// The common case, cheap hashing of 8 bytes or more, is spelled out
	// here rather than in hash so that it inlines.
	var h uint64
	switch n := len(x); {
	case !s.cheap:
		h = maphash.String(s.seed, x)
	case n >= 8:
		h = mix(load64(x), load64(x[n-8:]), n)
	default:
		h = cheapHash(x)
	}
	tag, mask := tagOf(h), uint64(len(s.tags)-1)
	for i := h >> s.shift; ; i = (i + 1) & mask {
		switch t := s.tags[i]; {
		case t == 0:
			return false
		case t == tag && s.slots[i] == x:
			return true
		}
	}
}

// Len returns the number of distinct members of s.
func (s *StringSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// cheapHash mixes x's length with its first and last eight bytes (fewer for
// shorter strings) in one 64×64→128-bit multiply, as wyhash does for short
// inputs. Strings up to 16 bytes are hashed in full.
func cheapHash(x string) uint64 {
	n := len(x)
	var a, b uint64
	switch {
	case n >= 8:
		a, b = load64(x), load64(x[n-8:])
	case n >= 4:
		a, b = load32(x), load32(x[n-4:])
	case n > 0:
		a = uint64(x[0])<<16 | uint64(x[n>>1])<<8 | uint64(x[n-1])
	}
	return mix(a, b, n)
}

func mix(a, b uint64, n int) uint64 {
	hi, lo := bits.Mul64(a^0xa0761d6478bd642f, b^0xe7037ed1a0b428db^uint64(n))
	return hi ^ lo
}

func load64(x string) uint64 {
	_ = x[7]
	return uint64(x[0]) | uint64(x[1])<<8 | uint64(x[2])<<16 | uint64(x[3])<<24 |
		uint64(x[4])<<32 | uint64(x[5])<<40 | uint64(x[6])<<48 | uint64(x[7])<<56
}

func load32(x string) uint64 {
	_ = x[3]
	return uint64(x[0]) | uint64(x[1])<<8 | uint64(x[2])<<16 | uint64(x[3])<<24
}
