package sketch

import "math"

// Sketch summarises a multiset of float64 values for nearest-rank quantile
// queries with a relative error of at most 1/129 (≈ 0.78 %) and exact
// extremes; see the package documentation for the design.
//
// The zero Sketch is empty and ready to use. A Sketch must not be copied
// after first use (its buckets would be shared); use Clone.
type Sketch struct {
	pos, neg store  // buckets of positive values and of negated negative ones
	zero     uint64 // count of zeros
	n        uint64 // count of values
	hi, lo   tail   // the largest values, and the smallest ones negated
	// A value above hiGate or below loGate may enter a tail; gates are the
	// roots of full tails and ∓Inf otherwise (or +Inf/−Inf once a partial
	// tail can accept nothing), so Add tests two floats in the common case.
	// The zero Sketch has both gates 0, which sends its first values to
	// addExtreme, which sets them.
	hiGate, loGate float64
}

// New returns an empty sketch.
func New() *Sketch { return new(Sketch) }

// Add records v. NaN is ignored (it has no rank); −0 counts as 0; ±Inf are
// recorded and ranked like any value. After the bucket range has grown to
// cover the data, Add does not allocate.
func (s *Sketch) Add(v float64) {
	switch {
	case v > 0:
		if i := bucketOf(v); !s.pos.add(i) {
			s.pos.addSlow(i)
		}
	case v < 0:
		if i := bucketOf(-v); !s.neg.add(i) {
			s.neg.addSlow(i)
		}
	case v == 0:
		v = 0
		s.zero++
	default:
		return
	}
	if v > s.hiGate || v < s.loGate || s.n < tailSize {
		s.addExtreme(v)
	}
	s.n++
}

// addExtreme offers v, not yet counted in n, to both tails.
//
//go:noinline
func (s *Sketch) addExtreme(v float64) {
	s.hi.add(v, s.n)
	s.lo.add(-v, s.n)
	s.setGates()
}

// setGates recomputes the gates after the tails changed.
func (s *Sketch) setGates() {
	s.hiGate, s.loGate = s.hi.gate(), -s.lo.gate()
}

// Count returns the number of values recorded.
func (s *Sketch) Count() uint64 { return s.n }

// Min returns the smallest value, or NaN when the sketch is empty. It is
// exact unless Subtract removed every value the sketch kept exactly.
func (s *Sketch) Min() float64 { return s.Quantile(0) }

// Max returns the largest value, or NaN when the sketch is empty. It is
// exact unless Subtract removed every value the sketch kept exactly.
func (s *Sketch) Max() float64 { return s.Quantile(1) }

// Reset empties the sketch and keeps its memory for reuse.
func (s *Sketch) Reset() {
	s.pos.reset()
	s.neg.reset()
	s.zero, s.n = 0, 0
	s.hi.n, s.lo.n = 0, 0
	s.setGates()
}

// Clone returns an independent copy of s.
func (s *Sketch) Clone() *Sketch {
	c := *s
	c.pos, c.neg = s.pos.clone(), s.neg.clone()
	return &c
}

// Merge adds every value recorded in o to s, losslessly: the result is what
// adding all of o's values to s would have produced. o may be s. A nil or
// empty o changes nothing. It fails with ErrOverflow, changing nothing, if
// the count would exceed 2^64−1.
func (s *Sketch) Merge(o *Sketch) error {
	if o == nil || o.n == 0 {
		return nil
	}
	if s.n+o.n < s.n {
		return ErrOverflow
	}
	ohi, olo := &o.hi, &o.lo
	if o == s {
		hi, lo := o.hi, o.lo
		ohi, olo = &hi, &lo
	}
	s.hi.merge(ohi, s.n, o.n)
	s.lo.merge(olo, s.n, o.n)
	s.pos.merge(&o.pos)
	s.neg.merge(&o.neg)
	s.zero += o.zero
	s.n += o.n
	s.setGates()
	return nil
}

// Subtract removes from s the values recorded in o, which must be part of
// what s recorded (typically a sketch merged into s earlier, as in a running
// total over a sliding window). Buckets and the count are subtracted
// exactly, so quantiles keep their relative-error bound. The exact tails
// stay exact but may shrink: s keeps only the extreme values it can prove
// belong to what remains (those beyond o's own kept extremes), so p0.01,
// p99.99, Min and Max may become bucket estimates afterwards. Merging
// per-period sketches keeps every guarantee and is the preferred way to
// build sliding windows. While a tail is shrunk, every Add takes the slower
// path that checks it, until Reset.
//
// It fails with ErrNotContained, changing nothing, when o holds values that
// s does not.
func (s *Sketch) Subtract(o *Sketch) error {
	if o == nil || o.n == 0 {
		return nil
	}
	if o.n > s.n || o.zero > s.zero || !s.pos.contains(&o.pos) || !s.neg.contains(&o.neg) {
		return ErrNotContained
	}
	hi, ok := s.hi.without(&o.hi, s.n, o.n)
	if !ok {
		return ErrNotContained
	}
	lo, ok := s.lo.without(&o.lo, s.n, o.n)
	if !ok {
		return ErrNotContained
	}
	s.pos.subtract(&o.pos)
	s.neg.subtract(&o.neg)
	s.zero -= o.zero
	s.n -= o.n
	s.hi, s.lo = hi, lo
	s.setGates()
	return nil
}

// clampEstimate bounds a bucket estimate by the exact tails: a rank outside
// both tails lies between the largest kept small value and the smallest kept
// large value.
func (s *Sketch) clampEstimate(v float64) float64 {
	if s.lo.n > 0 {
		v = math.Max(v, -s.lo.h[0])
	}
	if s.hi.n > 0 {
		v = math.Min(v, s.hi.h[0])
	}
	return v
}
