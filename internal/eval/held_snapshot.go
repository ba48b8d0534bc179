package eval

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// HeldRecord is a held per-input datapoint as a snapshot's control section
// writes it; floats are kept as their bits, which JSON keeps exactly (NaN
// included).
type HeldRecord struct {
	Thing    string    `json:"thing"`
	Profile  string    `json:"profile"`
	Behavior string    `json:"behavior"`
	Time     int64     `json:"timeNs"`
	Seq      uint64    `json:"seq"`
	Kind     ValueKind `json:"kind"`
	Count    uint64    `json:"count,omitzero"`
	Number   uint64    `json:"numberBits,omitzero"`
	Ports    []uint16  `json:"ports,omitzero"`
	Addrs    []string  `json:"addrs,omitzero"`
	Strings  []string  `json:"strings,omitzero"`
	Numbers  []uint64  `json:"numberBits_,omitzero"`
}

// heldRecords encodes the held per-input datapoints, in the heap's order
// (restore pushes them back, which reorders nothing that matters: the heap
// orders by time and arrival). Called with mu held.
func (p *Plane) heldRecords() []HeldRecord {
	out := make([]HeldRecord, 0, len(p.held))
	rules := p.rules.Load()
	for _, h := range p.held {
		if h.ts.dropped || h.ts.cov == nil {
			continue
		}
		// Judged now, it would first be aligned with the rules in force: a
		// behavior that no longer applies drops it.
		cov := rules.Coverage(h.ts.kindOf())
		i := slices.IndexFunc(cov.behaviors, func(cb *Behavior) bool { return cb.id == h.id })
		if i < 0 {
			continue
		}
		cb := cov.behaviors[i]
		s := HeldRecord{Thing: h.ts.name, Profile: cb.profile, Behavior: cb.b.Name, Time: h.t, Seq: h.seq,
			Kind: h.d.Kind, Count: h.d.Count, Number: math.Float64bits(h.d.Number)}
		// An empty list and no list are the same datapoint; write neither.
		if len(h.d.Ports) > 0 {
			s.Ports = h.d.Ports
		}
		if len(h.d.Strings) > 0 {
			s.Strings = h.d.Strings
		}
		for _, a := range h.d.Addrs {
			s.Addrs = append(s.Addrs, a.String())
		}
		for _, f := range h.d.Numbers {
			s.Numbers = append(s.Numbers, math.Float64bits(f))
		}
		out = append(out, s)
	}
	return out
}

// restoreHeld puts the held datapoints back on their things' behaviors.
func (p *Plane) restoreHeld(held []HeldRecord, seq uint64) error {
	if len(held) > 0 && p.opts.AllowedLateness == 0 {
		return fmt.Errorf("held datapoints without an allowed lateness")
	}
	for _, s := range held {
		ts := p.thing(s.Thing)
		if ts == nil || ts.cov == nil {
			return fmt.Errorf("held datapoint of thing %q, which has no state", s.Thing)
		}
		i := slices.IndexFunc(ts.cov.behaviors, func(cb *Behavior) bool {
			return cb.profile == s.Profile && cb.b.Name == s.Behavior
		})
		if i < 0 || ts.cov.behaviors[i].eval != evalStatic {
			return fmt.Errorf("held datapoint of thing %q: no static behavior %q of profile %q", s.Thing, s.Behavior, s.Profile)
		}
		if s.Seq == 0 || s.Seq > seq || s.Time > p.watermark || s.Time < p.closed.Load()*int64(p.opts.Period) {
			return fmt.Errorf("held datapoint of thing %q out of range", s.Thing)
		}
		d := Datapoint{Kind: s.Kind, Count: s.Count, Number: math.Float64frombits(s.Number), Ports: s.Ports, Strings: s.Strings}
		if d.Kind < ValueCount || d.Kind > ValueNumbers {
			return fmt.Errorf("held datapoint of thing %q: kind %d", s.Thing, s.Kind)
		}
		for _, a := range s.Addrs {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return fmt.Errorf("held datapoint of thing %q: %v", s.Thing, err)
			}
			d.Addrs = append(d.Addrs, addr)
		}
		for _, b := range s.Numbers {
			d.Numbers = append(d.Numbers, math.Float64frombits(b))
		}
		p.held.push(deferredDatapoint{t: s.Time, seq: s.Seq, ts: ts, id: ts.cov.behaviors[i].id, d: d})
	}
	p.heldSeq = seq
	return nil
}
