package ruledetect

import (
	"math"
	"net/netip"
	"slices"
)

// snapHeld encodes the held per-input datapoints, in the heap's order
// (restore pushes them back, which reorders nothing that matters: the heap
// orders by time and arrival). Called with mu held.
func (e *Engine) snapHeld() []snapHeld {
	out := make([]snapHeld, 0, len(e.held))
	cfg := e.cfg.Load()
	for _, h := range e.held {
		if h.ts.dropped || h.ts.cov == nil {
			continue
		}
		// Judged now, it would first be aligned with the current
		// configuration: a behavior that no longer applies drops it.
		cov := cfg.coverageFor(e, h.ts.kind)
		i := slices.IndexFunc(cov.behaviors, func(cb *compiledBehavior) bool { return cb.id == h.id })
		if i < 0 {
			continue
		}
		cb := cov.behaviors[i]
		s := snapHeld{Thing: h.ts.name, Profile: cb.profile, Behavior: cb.b.Name, Time: h.t, Seq: h.seq,
			Kind: h.d.kind, Count: h.d.count, Number: math.Float64bits(h.d.number)}
		// An empty list and no list are the same datapoint; write neither.
		if len(h.d.ports) > 0 {
			s.Ports = h.d.ports
		}
		if len(h.d.strings) > 0 {
			s.Strings = h.d.strings
		}
		for _, a := range h.d.addrs {
			s.Addrs = append(s.Addrs, a.String())
		}
		for _, f := range h.d.numbers {
			s.Numbers = append(s.Numbers, math.Float64bits(f))
		}
		out = append(out, s)
	}
	return out
}

// restoreHeld puts the held datapoints back on their things' behaviors.
func (e *Engine) restoreHeld(ctl *snapControl) error {
	if len(ctl.Held) > 0 && e.opts.allowedLateness == 0 {
		return errSnap("held datapoints without an allowed lateness")
	}
	for _, s := range ctl.Held {
		ts := e.thing(s.Thing)
		if ts == nil || ts.cov == nil {
			return errSnap("held datapoint of thing %q, which has no state", s.Thing)
		}
		i := slices.IndexFunc(ts.cov.behaviors, func(cb *compiledBehavior) bool {
			return cb.profile == s.Profile && cb.b.Name == s.Behavior
		})
		if i < 0 || ts.cov.behaviors[i].eval != evalStatic {
			return errSnap("held datapoint of thing %q: no static behavior %q of profile %q", s.Thing, s.Behavior, s.Profile)
		}
		if s.Seq == 0 || s.Seq > ctl.HeldSeq || s.Time > e.watermark || s.Time < e.closed.Load()*int64(e.opts.period) {
			return errSnap("held datapoint of thing %q out of range", s.Thing)
		}
		d := datapoint{kind: s.Kind, count: s.Count, number: math.Float64frombits(s.Number), ports: s.Ports, strings: s.Strings}
		if d.kind < dpCount || d.kind > dpNumbers {
			return errSnap("held datapoint of thing %q: kind %d", s.Thing, s.Kind)
		}
		for _, a := range s.Addrs {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return errSnap("held datapoint of thing %q: %v", s.Thing, err)
			}
			d.addrs = append(d.addrs, addr)
		}
		for _, b := range s.Numbers {
			d.numbers = append(d.numbers, math.Float64frombits(b))
		}
		e.held.push(deferredDatapoint{t: s.Time, seq: s.Seq, ts: ts, id: ts.cov.behaviors[i].id, d: d})
	}
	e.heldSeq = ctl.HeldSeq
	return nil
}
