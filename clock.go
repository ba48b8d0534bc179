package ruledetect

import "time"

// ClosedBoundary returns the newest evaluation period boundary the engine
// has closed, and false before its first input or Advance.
//
// Every input older than that boundary is rejected as late, and every
// violation event the engine has still to produce has a time at or after
// it: windowed datapoints fall on later boundaries, inputs are not older
// than it, and an invalidation due before it was made when the boundary
// closed. So a violation event with a time before ClosedBoundary is final:
// no event the engine produces later sorts before it, which lets a caller
// stream events in time order while ingesting.
func (e *Engine) ClosedBoundary() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		return time.Time{}, false
	}
	return time.Unix(0, e.closed*int64(e.opts.period)).UTC(), true
}
