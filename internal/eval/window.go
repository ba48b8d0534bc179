package eval

import (
	"math"
	"time"
	"unsafe"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

// agg is how a behavior turns inputs into datapoints: counted, summed, last
// value, or one per input, as its metric and duration say.
type agg uint8

const (
	// aggPerInput: one datapoint per input, evaluated when it is applied.
	aggPerInput agg = iota
	// aggCount: the number of inputs in the window, zero datapoints included.
	aggCount
	// aggSumIfAny: the sum in the window, only when an input fell in it.
	aggSumIfAny
	// aggLast: the last value in the window, only when an input fell in it.
	aggLast
	// aggDisconnected: minutes since the thing disconnected, at every window
	// end while it stays disconnected (aws:disconnect-duration).
	aggDisconnected
)

// aggOf returns the aggregation a catalog row's (behavior.Aggregation)
// names, and false for one this package does not know.
func aggOf(m behavior.Metric) (agg, bool) {
	switch m.Aggregation {
	case behavior.PerInput:
		return aggPerInput, true
	case behavior.CountInputs:
		return aggCount, true
	case behavior.SumValues:
		return aggSumIfAny, true
	case behavior.LastValue:
		return aggLast, true
	case behavior.MinutesDisconnected:
		return aggDisconnected, true
	}
	return 0, false
}

// perPeriod reports whether a's datapoints fall at every period boundary
// even without a duration (cloud-side counts, disconnect durations): a
// behavior on such a metric without durationSeconds has a window of one
// period; with any other aggregation, it judges each input.
func (a agg) perPeriod() bool { return a == aggCount || a == aggDisconnected }

// grows reports whether a's datapoint grows at every boundary without an
// input (a disconnect duration): such windows are never steady, and a
// reconnection gives them a zero datapoint.
func (a agg) grows() bool { return a == aggDisconnected }

// steady returns the datapoint a window of aggregation a gives at every
// boundary once it has had no input for its whole length: a zero count,
// and for sums and last values none. Disconnect durations grow instead.
func (a agg) steady() (Datapoint, bool) {
	return Datapoint{Kind: ValueCount}, a == aggCount
}

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
// windows live in the thing's ring (Thing.ring), so a counter costs a
// slot and one acc per period of its ring. Both are pointer-free, which
// the thing's tail relies on (Thing).
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
func (ts *Thing) ringOf(i int) []acc {
	if ts.ring == nil {
		return nil
	}
	o := ts.cov.ringOff[i]
	return unsafe.Slice(ts.ring, ts.cov.ringLen)[o : o+int32(ts.cov.behaviors[i].periods)+ts.cov.slack]
}

// window returns the window of behavior i that ends at boundary m (periods
// m−n … m−1 for a window of n periods), newest first. The thing's head must
// be at or past period m−1 (shiftTo), and at most slack periods past it.
func (ts *Thing) window(i int, m int64) []acc {
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
func (ts *Thing) shiftTo(k int64) {
	d := k - ts.head
	if d <= 0 {
		return
	}
	ts.head = k
	if ts.ring == nil {
		return
	}
	if d >= int64(ts.cov.maxRing) {
		clear(ts.rings())
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
func (ts *Thing) period(i int, k int64) *acc {
	if k == ts.head && ts.ring != nil {
		return &unsafe.Slice(ts.ring, ts.cov.ringLen)[ts.cov.ringOff[i]] // the newest period, the common case: index 0 of the ring
	}
	return ts.periodSlow(i, k)
}

// periodSlow is period for an older or newer period, or a ring not yet
// allocated.
func (ts *Thing) periodSlow(i int, k int64) *acc {
	ts.shiftTo(k)
	if ts.ring == nil {
		ts.ringMem()
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
func (ts *Thing) add(i int, k int64, v uint64) bool {
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
func (ts *Thing) set(i int, k int64, v uint64, at uint32) bool {
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

// feed gives behavior i of ts the value d of an input at t, in period k,
// as the behavior's aggregation says: judged at once (per input, and any
// list value), counted, summed or kept as the window's last value. A
// report's value of a windowed behavior is also retained as measured; a
// cloud-side count is retained per period when the period closes
// (windowDatapoint).
func (p *Plane) feed(ts *Thing, i int, k int64, d *Datapoint, t int64) {
	cb := ts.cov.behaviors[i]
	if cb.agg == aggPerInput || (d.Kind != ValueCount && d.Kind != ValueNumber) {
		p.observe(ts, i, d, t)
		return
	}
	switch cb.agg {
	case aggCount:
		p.add(ts, i, k, 1)
	case aggSumIfAny:
		if cb.in == inReport {
			p.retainInput(ts, i, d, t)
		}
		p.add(ts, i, k, windowBits(d))
	case aggLast:
		if cb.in == inReport {
			p.retainInput(ts, i, d, t)
		}
		at := uint32((t-k*int64(p.opts.Period))/int64(time.Microsecond)) + 1
		if !ts.set(i, k, windowBits(d), at) {
			p.late.Add(1)
		}
	}
	// aggDisconnected: a disconnection opens the duration; it has no
	// window of inputs.
}

// add is ts.add, counting an input whose period has left the ring (which
// admission prevents) as late instead of losing it silently.
func (p *Plane) add(ts *Thing, i int, k int64, v uint64) {
	if !ts.add(i, k, v) {
		p.late.Add(1)
	}
}

// windowDatapoint returns the datapoint of behavior i of ts at boundary
// T = m·P, if its window gives one: a count (zero included), a sum or last
// value of a window with input, or the minutes a thing has been
// disconnected. The thing's head has been shifted to period m−1 or later.
func (ts *Thing) windowDatapoint(i int, m, T int64) (Datapoint, bool) {
	cb := ts.cov.behaviors[i]
	switch cb.agg {
	case aggCount:
		v, _ := sum(ts.window(i, m))
		return Datapoint{Kind: ValueCount, Count: v}, true
	case aggSumIfAny:
		v, any := sum(ts.window(i, m))
		return windowValue(cb, v), any
	case aggLast:
		v, ok := last(ts.window(i, m))
		return windowValue(cb, v), ok
	case aggDisconnected:
		if ts.disconnectedAt == 0 {
			return Datapoint{}, false
		}
		return Datapoint{Kind: ValueCount, Count: uint64((T - ts.disconnectedAt) / int64(time.Minute))}, true
	}
	return Datapoint{}, false
}

// periodValue returns the value of behavior i of ts in the period that
// boundary m closes alone (not its window's), as a retained series keeps
// it: a count or sum of that period; the window's datapoint d otherwise.
func (ts *Thing) periodValue(i int, m int64, d *Datapoint) (Datapoint, bool) {
	cb := ts.cov.behaviors[i]
	switch cb.agg {
	case aggCount, aggSumIfAny:
		var a acc // the period's own; zero in a ring not yet allocated
		if w := ts.window(i, m); len(w) > 0 {
			a = w[0]
		}
		if cb.agg == aggSumIfAny && !a.any {
			return Datapoint{}, false
		}
		return Datapoint{Kind: ValueCount, Count: a.v}, true
	}
	return *d, true
}
