package sketch

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/ruledetect/ruledetect/internal/wire"
)

// encodingVersion is the first byte of a Sketch encoding.
//
// Version 1 layout (uvarint = encoding/binary varint, minimal length):
//
//	version  byte = 1
//	n        uvarint  count of values
//	zero     uvarint  count of zeros
//	pos, neg bucket stores: uvarint length m; if m > 0, uvarint first index,
//	         uvarint first count, then m−1 zig-zag varint differences to the
//	         previous count (adjacent counts are close, so most take a byte);
//	         first and last counts are non-zero
//	hi, lo   tails of the largest and smallest values: uvarint length, then
//	         the values ascending as order-preserving 64-bit keys: the first
//	         as 8 bytes little-endian, each next one as the difference d to
//	         the previous, written as uvarint t = trailing zeros of d and
//	         uvarint d>>t (integer-valued data has many trailing zeros)
//
// Every field has exactly one encoding, so decoding and re-encoding
// reproduces the input byte for byte.
const encodingVersion = 1

// MarshalBinary encodes s. It never fails.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// AppendBinary appends the encoding of s to b. It never fails.
func (s *Sketch) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, s.n)
	b = binary.AppendUvarint(b, s.zero)
	b = s.pos.appendBinary(b)
	b = s.neg.appendBinary(b)
	b = appendTail(b, &s.hi, 1)
	b = appendTail(b, &s.lo, -1)
	return b, nil
}

func (s *store) appendBinary(b []byte) []byte {
	counts, lo := s.used()
	b = binary.AppendUvarint(b, uint64(len(counts)))
	if len(counts) == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(lo))
	b = binary.AppendUvarint(b, counts[0])
	for k := 1; k < len(counts); k++ {
		b = binary.AppendVarint(b, int64(counts[k]-counts[k-1]))
	}
	return b
}

// appendTail writes the values of t multiplied by sign, ascending.
func appendTail(b []byte, t *tail, sign float64) []byte {
	t.sort()
	vals := t.values()
	b = binary.AppendUvarint(b, uint64(len(vals)))
	var prev uint64
	for k := range vals {
		// Ascending order of the values is descending order of the negated
		// ones kept for the low tail.
		v := vals[k]
		if sign < 0 {
			v = -vals[len(vals)-1-k]
		}
		key := orderedKey(v)
		if k == 0 {
			b = binary.LittleEndian.AppendUint64(b, key)
		} else {
			d := key - prev
			tz := 0
			if d != 0 {
				tz = bits.TrailingZeros64(d)
			}
			b = binary.AppendUvarint(b, uint64(tz))
			b = binary.AppendUvarint(b, d>>tz)
		}
		prev = key
	}
	return b
}

// orderedKey maps float64 values to uint64 keys in the same order.
func orderedKey(v float64) uint64 {
	u := math.Float64bits(v)
	if u>>63 != 0 {
		return ^u
	}
	return u | 1<<63
}

func fromOrderedKey(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// UnmarshalBinary replaces s with the sketch encoded in data. Malformed,
// inconsistent, non-canonical or truncated input is rejected with a
// *DecodeError matching ErrCorrupt, ErrTruncated or ErrVersion, and s is
// left unchanged. Allocation is bounded by len(data).
func (s *Sketch) UnmarshalBinary(data []byte) error {
	d := newDecoder("Sketch", data)
	var t Sketch
	if err := t.decode(d); err != nil {
		return err
	}
	if d.left() != 0 {
		return d.fail("end", ErrCorrupt, "trailing bytes")
	}
	t.setGates()
	*s = t
	return nil
}

func (s *Sketch) decode(d *decoder) error {
	v, err := d.byte("version")
	if err != nil {
		return err
	}
	if v != encodingVersion {
		return d.failAt(d.off()-1, "version", ErrVersion, "got %d, want %d", v, encodingVersion)
	}
	if s.n, err = d.uvarint("count"); err != nil {
		return err
	}
	if s.zero, err = d.uvarint("zero count"); err != nil {
		return err
	}
	if err = s.pos.decode(d, "positive buckets"); err != nil {
		return err
	}
	if err = s.neg.decode(d, "negative buckets"); err != nil {
		return err
	}
	start := d.off()
	if err = s.checkCount(d); err != nil {
		return err
	}
	if err = decodeTail(d, &s.hi, 1, "high tail"); err != nil {
		return err
	}
	if err = decodeTail(d, &s.lo, -1, "low tail"); err != nil {
		return err
	}
	return s.checkTails(d, start)
}

// checkCount verifies that the buckets and the zero count add up to n.
func (s *Sketch) checkCount(d *decoder) error {
	p, ok1 := s.pos.total()
	q, ok2 := s.neg.total()
	pq, c1 := bits.Add64(p, q, 0)
	sum, c2 := bits.Add64(pq, s.zero, 0)
	if !ok1 || !ok2 || c1|c2 != 0 || sum != s.n {
		return d.fail("count", ErrCorrupt, "buckets and zeros do not add up to %d", s.n)
	}
	return nil
}

func (st *store) decode(d *decoder, field string) error {
	m, err := d.count(field+" length", "buckets", 1, wire.NoLimit)
	if err != nil || m == 0 {
		return err
	}
	at := d.off()
	lo, err := d.uvarint(field + " first index")
	if err != nil {
		return err
	}
	if lo > maxIndex || uint64(m-1) > maxIndex-lo {
		return d.failAt(at, field+" first index", ErrCorrupt, "buckets %d..%d+%d beyond the last index %d", lo, lo, m-1, maxIndex)
	}
	counts := make([]uint64, m)
	if counts[0], err = d.uvarint(field + " count"); err != nil {
		return err
	}
	for k := 1; k < len(counts); k++ {
		at := d.off()
		delta, err := d.varint(field + " count")
		if err != nil {
			return err
		}
		c := counts[k-1] + uint64(delta)
		if (delta < 0 && c > counts[k-1]) || (delta > 0 && c < counts[k-1]) {
			return d.failAt(at, field+" count", ErrCorrupt, "bucket %d count out of range", int(lo)+k)
		}
		counts[k] = c
	}
	if counts[0] == 0 || counts[m-1] == 0 {
		return d.failAt(at, field, ErrCorrupt, "range not trimmed to non-empty buckets")
	}
	st.counts, st.offset = counts, int(lo)
	return nil
}

func decodeTail(d *decoder, t *tail, sign float64, field string) error {
	m, err := d.count(field+" length", "values", 1, tailSize)
	if err != nil {
		return err
	}
	var key uint64
	var vals [tailSize]float64
	for k := range m {
		at := d.off()
		if k == 0 {
			if key, err = d.uint64(field + " value"); err != nil {
				return err
			}
		} else {
			tz, err := d.uvarint(field + " value shift")
			if err != nil {
				return err
			}
			x, err := d.uvarint(field + " value")
			if err != nil {
				return err
			}
			if (x == 0 && tz != 0) || (x != 0 && (x&1 == 0 || tz > 63 || bits.Len64(x)+int(tz) > 64)) {
				return d.failAt(at, field+" value", ErrCorrupt, "non-canonical difference")
			}
			next := key + x<<tz
			if next < key {
				return d.failAt(at, field+" value", ErrCorrupt, "values out of range")
			}
			key = next
		}
		v := fromOrderedKey(key)
		if math.IsNaN(v) || (v == 0 && math.Signbit(v)) {
			return d.failAt(at, field+" value", ErrCorrupt, "NaN or −0 is never recorded")
		}
		vals[k] = v
	}
	t.n = m
	for k := range t.n {
		if sign > 0 {
			t.h[k] = vals[k]
		} else {
			t.h[k] = -vals[t.n-1-k]
		}
	}
	t.sorted = true
	return nil
}

// checkTails verifies that each tail is what Add and Merge keep: at most
// min(tailSize, n) values, each counted in its bucket, and every value
// beyond the tail's own threshold bucket present in the tail.
func (s *Sketch) checkTails(d *decoder, at int) error {
	for _, side := range [...]struct {
		t     *tail
		sign  float64
		field string
	}{{&s.hi, 1, "high tail"}, {&s.lo, -1, "low tail"}} {
		t := side.t
		if uint64(t.n) > s.n {
			return d.failAt(at, side.field, ErrCorrupt, "%d values in a sketch of %d", t.n, s.n)
		}
		if t.n == 0 {
			continue
		}
		// Values are ascending in t.h, in the side's own direction; walk
		// them in runs of equal buckets from the extreme end.
		beyond := uint64(0) // kept values in buckets strictly beyond the root's
		rootSlot := s.slot(side.sign * t.h[0])
		for k := t.n - 1; k >= 0; {
			slot := s.slot(side.sign * t.h[k])
			j := k
			for j >= 0 && s.slot(side.sign*t.h[j]) == slot {
				j--
			}
			if uint64(k-j) > s.slotCount(slot) {
				return d.failAt(at, side.field, ErrCorrupt, "%d values in a bucket of %d", k-j, s.slotCount(slot))
			}
			if slot != rootSlot {
				beyond += uint64(k - j)
			}
			k = j
		}
		if s.countBeyond(rootSlot, side.sign) != beyond {
			return d.failAt(at, side.field, ErrCorrupt, "values beyond the tail's threshold are missing from it")
		}
	}
	if uint64(s.hi.n) == s.n && uint64(s.lo.n) == s.n {
		// Both hold every value: they must hold the same ones.
		for k := range s.hi.n {
			if s.hi.h[k] != -s.lo.h[s.lo.n-1-k] {
				return d.failAt(at, "low tail", ErrCorrupt, "the tails hold different values")
			}
		}
	}
	return nil
}

// slot numbers buckets in ascending value order: negative buckets below 0,
// zero at 0, positive buckets above.
func (s *Sketch) slot(v float64) int {
	switch {
	case v > 0:
		return bucketOf(v) + 1
	case v < 0:
		return -bucketOf(-v) - 1
	}
	return 0
}

func (s *Sketch) slotCount(slot int) uint64 {
	switch {
	case slot > 0:
		return s.pos.count(slot - 1)
	case slot < 0:
		return s.neg.count(-slot - 1)
	}
	return s.zero
}

// countBeyond sums the counts of the slots strictly above slot (dir 1) or
// strictly below it (dir −1).
func (s *Sketch) countBeyond(slot int, dir float64) uint64 {
	var sum uint64
	add := func(st *store, sgn int) {
		for k, c := range st.counts {
			sl := sgn * (st.offset + k + 1)
			if (dir > 0 && sl > slot) || (dir < 0 && sl < slot) {
				sum += c
			}
		}
	}
	add(&s.pos, 1)
	add(&s.neg, -1)
	if (dir > 0 && 0 > slot) || (dir < 0 && 0 < slot) {
		sum += s.zero
	}
	return sum
}
