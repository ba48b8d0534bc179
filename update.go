package ruledetect

import "context"

// cpChange is what one control-plane change does, decided under every lock
// against the config in force.
type cpChange struct {
	// next is the config to put in force: a clone of the current one
	// (config.clone), changed. Nil changes nothing: the request was already
	// in force (a retried create, a second attach, a delete of nothing).
	next *config
	// ends, when set, matches the open alarms the change ends: once next
	// is in force they become alarm-invalidated at the watermark and the
	// streaks behind them start over, because what they monitored changed.
	ends func(violationKey) bool
}

// update makes one control-plane change. It takes every lock (so that no
// input is half applied when the config changes), lets decide read the
// config in force and say what changes, puts that in force and ends the
// alarms it ends, and, with the locks released, waits for room in the
// delivery queue for as long as ctx allows. A change that decide rejects
// stores nothing: its error is returned and the config in force stays.
//
// decide runs under the engine's locks: it must not block, and it must not
// call anything a user supplied. It changes nothing but the config it
// returns, except thing state that is not config (a thing's groups), which
// it changes in place only once it can no longer fail.
func (e *Engine) update(ctx context.Context, decide func(cur *config) (cpChange, error)) error {
	e.plane.LockAll()
	defer e.unlock(ctx)
	ch, err := decide(e.cfg.Load())
	if err != nil {
		return err
	}
	if ch.next != nil {
		e.setConfig(ch.next)
	}
	if ch.ends != nil {
		e.plane.InvalidateWhere(ch.ends)
	}
	return nil
}
