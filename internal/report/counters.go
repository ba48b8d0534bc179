package report

// CounterState turns network_stats sent as cumulative counters into the
// deltas the metrics are defined on. The specification says network_stats are
// deltas, but the embedded-C SDK demo sends the /proc/net/dev totals, so the
// engine can be told to treat them as counters and keep one CounterState per
// thing.
//
// It is 32 bytes, kept per thing for millions of things. The zero value has
// seen no report.
type CounterState struct {
	// prev holds the last counters plus one, in NetworkStats field order, so
	// that the zero value means "no report yet" without a separate flag
	// (counters are ≥ 0 and at most MaxInt64, so v+1 fits in a uint64).
	prev [4]uint64
}

// Delta returns what the counters in cur add to the previous report's, and
// remembers cur for the next call.
//
// It returns false, and changes nothing, when cur is not Present (a report
// without network_stats gives no datapoint). It returns false for the first
// report, which has nothing to subtract from: a total since boot is not
// traffic in this period, and passing it on is the false alarm the Python
// agent's issue #25 describes.
//
// A counter lower than before is a reset, not negative traffic: the device
// rebooted (the kernel restarts from zero) or a narrower counter wrapped. The
// traffic since the reset is at least the new value, and nothing better is
// known, so that is the delta. Each counter is judged on its own, because a
// 32-bit byte counter wraps long before its packet counter does.
func (c *CounterState) Delta(cur NetworkStats) (NetworkStats, bool) {
	if !cur.Present {
		return NetworkStats{}, false
	}
	now := [4]int64{cur.BytesIn, cur.BytesOut, cur.PacketsIn, cur.PacketsOut}
	first := c.prev[0] == 0
	var d [4]int64
	for i, v := range now {
		if v < 0 {
			v = 0 // the decoder never produces one; a caller-built value might
		}
		if !first {
			d[i] = delta(c.prev[i]-1, v)
		}
		c.prev[i] = uint64(v) + 1
	}
	if first {
		return NetworkStats{}, false
	}
	return NetworkStats{Present: true, BytesIn: d[0], BytesOut: d[1], PacketsIn: d[2], PacketsOut: d[3]}, true
}

// delta is cur − prev, or cur after a reset.
func delta(prev uint64, cur int64) int64 {
	if uint64(cur) < prev {
		return cur
	}
	return cur - int64(prev) //nolint:gosec // prev ≤ cur ≤ MaxInt64
}

// Reset forgets the previous report, as for a thing never seen.
func (c *CounterState) Reset() { *c = CounterState{} }

// Last returns the cumulative counters of the previous report, and whether
// there was one: the whole state, for a snapshot.
func (c *CounterState) Last() (NetworkStats, bool) {
	if c.prev[0] == 0 {
		return NetworkStats{}, false
	}
	return NetworkStats{Present: true, BytesIn: int64(c.prev[0] - 1), BytesOut: int64(c.prev[1] - 1),
		PacketsIn: int64(c.prev[2] - 1), PacketsOut: int64(c.prev[3] - 1)}, true
}

// Restore makes c the state that has seen last (as Last returned it), for a
// snapshot's restore. A last that is not Present resets c.
func (c *CounterState) Restore(last NetworkStats) {
	c.Reset()
	c.Delta(last)
}
