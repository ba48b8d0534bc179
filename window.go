package ruledetect

import (
	"math"
	"time"

	"github.com/ruledetect/ruledetect/violation"
)

// acc accumulates one evaluation period of one (thing, behavior): the sum of
// its inputs (or, for last-value metrics, the value with the latest
// timestamp; float values are stored as their bits), that timestamp as an
// offset into the period, and whether any input fell in it.
type acc struct {
	v uint64
	// at is, for last-value metrics, the offset into the period of the
	// value's timestamp in microseconds, plus one (a period is at most
	// 300 s, well inside 32 bits).
	at  uint32
	any bool
}

// slot is the alarm state of one (thing, behavior). It is one byte: the
// windows live in the thing's ring (thingState.ring), so a counter costs a
// slot and one acc per period of its ring.
type slot struct {
	streak violation.Streak
}

// ringOf returns the periods held for behavior i of ts: ring[0] is period
// ts.head, ring[j] period ts.head−j. A windowed behavior of P-periods holds
// its window plus the periods an input may be late by (coverage.slack), so
// that a late input still lands in its own period. The ring is allocated at
// the first input that needs it: a thing whose windows are all empty (a
// restored one, or one whose profile changed) holds none, and ringOf
// returns nil.
func (ts *thingState) ringOf(i int) []acc {
	if len(ts.ring) == 0 {
		return nil
	}
	o := ts.cov.ringOff[i]
	return ts.ring[o : o+int32(ts.cov.behaviors[i].periods)+ts.cov.slack]
}

// window returns the window of behavior i that ends at boundary m (periods
// m−n … m−1 for a window of n periods), newest first. The thing's head must
// be at or past period m−1 (shiftTo), and at most slack periods past it.
func (ts *thingState) window(i int, m int64) []acc {
	r := ts.ringOf(i)
	if r == nil {
		return nil
	}
	off := ts.head - (m - 1)
	return r[off : off+int64(ts.cov.behaviors[i].periods)]
}

// shiftTo moves every ring of ts forward so that ring[0] is period k,
// clearing the periods it passes over. All the rings of a thing share one
// head, so that they move together. Periods never move backwards.
func (ts *thingState) shiftTo(k int64) {
	d := k - ts.head
	if d <= 0 {
		return
	}
	ts.head = k
	if len(ts.ring) == 0 {
		return
	}
	if d >= int64(ts.cov.maxRing) {
		clear(ts.ring)
		return
	}
	for _, i := range ts.cov.windowed {
		w := ts.ringOf(int(i))
		n := int64(len(w))
		if d >= n {
			clear(w)
			continue
		}
		copy(w[d:], w[:n-d])
		clear(w[:d])
	}
}

// period returns the acc of behavior i for period k, moving the head to k
// first when k is newer. It returns nil when k has already left the ring,
// which admission prevents (an input older than the newest closed boundary
// is late, and the ring holds every period after it).
func (ts *thingState) period(i int, k int64) *acc {
	if k == ts.head && len(ts.ring) != 0 {
		return &ts.ring[ts.cov.ringOff[i]] // the newest period, the common case: index 0 of the ring
	}
	return ts.periodSlow(i, k)
}

// periodSlow is period for an older or newer period, or a ring not yet
// allocated.
func (ts *thingState) periodSlow(i int, k int64) *acc {
	ts.shiftTo(k)
	if len(ts.ring) == 0 {
		ts.ring = ts.ringMem(ts.cov.ringLen)
	}
	r := ts.ringOf(i)
	j := ts.head - k
	if j >= int64(len(r)) {
		return nil
	}
	return &r[j]
}

// add counts an input of value v in period k for behavior i. Sums saturate
// at the largest uint64 instead of wrapping.
func (ts *thingState) add(i int, k int64, v uint64) bool {
	a := ts.period(i, k)
	if a == nil {
		return false
	}
	a.v = addSaturating(a.v, v)
	a.any = true
	return true
}

// set records v, measured at offset at (microseconds into period k, plus
// one), as the value of period k for behavior i, unless the period already
// holds a value measured later: a window's last value is the one with the
// latest timestamp, whatever the order inputs arrived in. Of two with the
// same timestamp, the one that arrived last wins.
func (ts *thingState) set(i int, k int64, v uint64, at uint32) bool {
	a := ts.period(i, k)
	if a == nil {
		return false
	}
	if !a.any || at >= a.at {
		a.v, a.at, a.any = v, at, true
	}
	return true
}

// sum returns the saturating sum over a window and whether any input fell
// in it.
func sum(w []acc) (v uint64, any bool) {
	for _, a := range w {
		v = addSaturating(v, a.v)
		any = any || a.any
	}
	return v, any
}

// addSaturating returns a+b, or the largest uint64 when that overflows.
func addSaturating(a, b uint64) uint64 {
	s := a + b
	if s < a {
		return math.MaxUint64
	}
	return s
}

// last returns the newest value in a window, if any input fell in it.
func last(w []acc) (uint64, bool) {
	for _, a := range w {
		if a.any {
			return a.v, true
		}
	}
	return 0, false
}

// add is ts.add, counting an input whose period has left the ring (which
// admission prevents) as late instead of losing it silently.
func (e *Engine) add(ts *thingState, i int, k int64, v uint64) {
	if !ts.add(i, k, v) {
		e.stats.late.Add(1)
	}
}

// setLast is ts.set with the input's time t (Unix ns) as its timestamp.
func (e *Engine) setLast(ts *thingState, i int, k int64, v uint64, t int64) {
	at := uint32((t-k*int64(e.opts.period))/int64(time.Microsecond)) + 1
	if !ts.set(i, k, v, at) {
		e.stats.late.Add(1)
	}
}
