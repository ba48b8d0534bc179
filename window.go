package ruledetect

import "github.com/ruledetect/ruledetect/violation"

// acc accumulates one evaluation period of one (thing, behavior): the sum of
// its inputs (or, for last-value metrics, the last value; float values are
// stored as their bits) and whether any input fell in it.
type acc struct {
	v   uint64
	any bool
}

// slot is the alarm state of one (thing, behavior). It is one byte: the
// windows live in the thing's ring (thingState.ring), so a counter costs a
// slot and one acc per period of its window.
type slot struct {
	streak violation.Streak
}

// window returns the ring of behavior i of ts: window[0] is period ts.head,
// window[j] period ts.head−j. Per-input behaviors have an empty window.
func (ts *thingState) window(i int) []acc {
	o := ts.cov.ringOff[i]
	return ts.ring[o : o+int32(ts.cov.behaviors[i].periods)]
}

// shiftTo moves every window of ts forward so that window[0] is period k,
// clearing the periods it passes over. All the windows of a thing share one
// head, so that they move together. Periods never move backwards: late inputs
// are rejected before they reach a thing.
func (ts *thingState) shiftTo(k int64) {
	d := k - ts.head
	if d <= 0 {
		return
	}
	ts.head = k
	if d >= int64(ts.cov.maxPeriods) {
		clear(ts.ring)
		return
	}
	for _, i := range ts.cov.windowed {
		w := ts.window(int(i))
		n := int64(len(w))
		if d >= n {
			clear(w)
			continue
		}
		copy(w[d:], w[:n-d])
		clear(w[:d])
	}
}

// add counts an input of value v in period k for behavior i.
func (ts *thingState) add(i int, k int64, v uint64) {
	ts.shiftTo(k)
	a := &ts.ring[ts.cov.ringOff[i]]
	a.v += v
	a.any = true
}

// set records v as the latest value in period k for behavior i.
func (ts *thingState) set(i int, k int64, v uint64) {
	ts.shiftTo(k)
	a := &ts.ring[ts.cov.ringOff[i]]
	a.v = v
	a.any = true
}

// sum returns the sum over a window and whether any input fell in it.
func sum(w []acc) (v uint64, any bool) {
	for _, a := range w {
		v += a.v
		any = any || a.any
	}
	return v, any
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
