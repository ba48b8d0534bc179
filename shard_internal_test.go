package ruledetect

// allThings returns every thing's state by name, for tests that compare
// engines; the caller holds mu, and no input may run meanwhile.
func (e *Engine) allThings() map[string]*thingState {
	out := map[string]*thingState{}
	for _, sh := range e.shards {
		sh.mu.Lock()
		for name, ts := range sh.things {
			out[name] = ts
		}
		sh.mu.Unlock()
	}
	return out
}

// clock returns the watermark, closed boundary and started flag, for tests
// that compare engines; the caller holds mu.
func (e *Engine) clock() []any {
	e.syncWatermark()
	return []any{e.watermark, e.closed.Load(), e.started.Load()}
}
