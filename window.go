package ruledetect

import "github.com/ruledetect/ruledetect/violation"

// acc accumulates one evaluation period of one (thing, behavior): the number
// of inputs and their sum (or, for last-value metrics, the last value; float
// values are stored as their bits).
type acc struct {
	v uint64
	n uint32
}

// slot is the state of one (thing, behavior): the alarm streak and, for
// windowed behaviors, a ring of the last D/P periods. ring[0] is period head,
// ring[i] period head−i. Per-input behaviors have no ring.
//
// A slot is 40 bytes and a ring 16 bytes per period (a 300 s window on a
// 300 s period: 56 bytes per (thing, behavior) in all).
type slot struct {
	ring   []acc
	head   int64
	streak violation.Streak
}

// shiftTo moves the ring forward so that ring[0] is period k, clearing the
// periods it passes over. Periods never move backwards: late inputs are
// rejected before they reach a slot.
func (s *slot) shiftTo(k int64) {
	d := k - s.head
	if d <= 0 {
		return
	}
	s.head = k
	n := int64(len(s.ring))
	if d >= n {
		clear(s.ring)
		return
	}
	copy(s.ring[d:], s.ring[:n-d])
	clear(s.ring[:d])
}

// add counts an input of value v in period k.
func (s *slot) add(k int64, v uint64) {
	s.shiftTo(k)
	s.ring[0].v += v
	s.ring[0].n++
}

// set records v as the latest value in period k.
func (s *slot) set(k int64, v uint64) {
	s.shiftTo(k)
	s.ring[0].v = v
	s.ring[0].n++
}

// sum returns the sum over the window and whether any input fell in it.
func (s *slot) sum() (v uint64, any bool) {
	for _, a := range s.ring {
		v += a.v
		any = any || a.n > 0
	}
	return v, any
}

// last returns the newest value in the window, if any input fell in it.
func (s *slot) last() (uint64, bool) {
	for _, a := range s.ring {
		if a.n > 0 {
			return a.v, true
		}
	}
	return 0, false
}
