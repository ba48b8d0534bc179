package criteria

import "math"

// linearMax is the largest set searched linearly: below about 16 elements a
// scan beats hashing (matching.md §5).
const linearMax = 16

// NumberSet is a set of float64 values compared exactly, with no tolerance:
// -0 and 0 are the same member, and NaN is never a member (a NaN given to
// NewNumberSet is dropped, and Contains(NaN) is false). The zero NumberSet
// is empty and ready to use.
type NumberSet struct {
	small []float64           // the members when there are at most linearMax
	large map[uint64]struct{} // otherwise, keyed by canonical bits
}

// NewNumberSet returns the set of the non-NaN values in nums.
func NewNumberSet(nums []float64) *NumberSet {
	seen := make(map[uint64]struct{}, len(nums))
	var uniq []float64
	for _, f := range nums {
		if f != f {
			continue
		}
		k := numberKey(f)
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			uniq = append(uniq, f)
		}
	}
	if len(uniq) <= linearMax {
		return &NumberSet{small: uniq}
	}
	return &NumberSet{large: seen}
}

// numberKey maps f to bits equal for equal floats: -0 becomes 0.
func numberKey(f float64) uint64 {
	if f == 0 {
		return 0
	}
	return math.Float64bits(f)
}

// Contains reports whether f is in s. A nil s is empty.
func (s *NumberSet) Contains(f float64) bool {
	if s == nil {
		return false
	}
	if s.large == nil {
		for _, m := range s.small {
			if m == f { // float ==: -0 == 0, NaN equals nothing
				return true
			}
		}
		return false
	}
	if f != f {
		return false
	}
	_, ok := s.large[numberKey(f)]
	return ok
}

// Len returns the number of distinct members of s.
func (s *NumberSet) Len() int {
	if s == nil {
		return 0
	}
	if s.large == nil {
		return len(s.small)
	}
	return len(s.large)
}
