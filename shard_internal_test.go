package ruledetect

import "github.com/ruledetect/ruledetect/internal/eval"

// allThings returns every thing's state by name, for tests that compare
// engines; no input may run meanwhile.
func (e *Engine) allThings() map[string]eval.ThingState { return e.plane.States() }

// clock returns the watermark, closed boundary and started flag, for tests
// that compare engines.
func (e *Engine) clock() []any {
	w, c, s := e.plane.Clock()
	return []any{w, c, s}
}
