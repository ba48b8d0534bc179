package eval

// deferredDatapoint is a datapoint of a behavior judged per input, held
// while the allowed lateness lets an earlier input still arrive (see
// WithAllowedLateness). It owns its list values: the input they pointed
// into is gone by the time it is judged.
type deferredDatapoint struct {
	t   int64  // the input's time, Unix ns
	seq uint64 // arrival order, for inputs with the same time
	ts  *Thing
	id  uint64 // the compiled behavior's id
	d   Datapoint
}

func (a *deferredDatapoint) before(b *deferredDatapoint) bool {
	return a.t < b.t || (a.t == b.t && a.seq < b.seq)
}

// deferredHeap is a min-heap of held datapoints by (time, arrival).
type deferredHeap []deferredDatapoint

func (h *deferredHeap) push(x deferredDatapoint) {
	*h = append(*h, x)
	s := *h
	for j := len(s) - 1; j > 0; {
		p := (j - 1) / 2
		if !s[j].before(&s[p]) {
			break
		}
		s[j], s[p] = s[p], s[j]
		j = p
	}
}

func (h *deferredHeap) pop() deferredDatapoint {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = deferredDatapoint{}
	s = s[:n]
	for j := 0; ; {
		l, r, m := 2*j+1, 2*j+2, j
		if l < n && s[l].before(&s[m]) {
			m = l
		}
		if r < n && s[r].before(&s[m]) {
			m = r
		}
		if m == j {
			break
		}
		s[j], s[m] = s[m], s[j]
		j = m
	}
	*h = s
	return top
}

// hold keeps the per-input datapoint d of behavior i of ts, at t, until
// judgeHeld reaches it. Called with mu held.
func (p *Plane) hold(ts *Thing, i int, d *Datapoint, t int64) {
	p.heldSeq++
	p.held.push(deferredDatapoint{t: t, seq: p.heldSeq, ts: ts, id: ts.cov.behaviors[i].id, d: d.owned()})
}

// judgeHeld judges, in time order, the held datapoints with time before
// limit (through limit when inclusive). A datapoint whose behavior no longer
// applies to its thing (the profile changed meanwhile, which invalidated its
// alarm) is dropped, as an input after the change would not have fed it.
func (p *Plane) judgeHeld(limit int64, inclusive bool) {
	rules := p.rules.Load()
	for len(p.held) > 0 && (p.held[0].t < limit || inclusive && p.held[0].t == limit) {
		h := p.held.pop()
		ts := h.ts
		if ts.dropped || ts.cov == nil {
			continue
		}
		ts.align(rules)
		i := ts.slotOf(h.id, 0)
		if i < 0 {
			continue
		}
		p.transition(ts, i, &h.d, !h.d.compliant(ts.cov.behaviors[i].crit), h.t, 0)
	}
}
