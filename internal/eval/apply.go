package eval

import (
	"math"
	"net/netip"
	"time"

	"github.com/ruledetect/ruledetect/dimension"
	"github.com/ruledetect/ruledetect/internal/report"
)

// The apply step: each input, admitted (enter), feeds the behaviors of its
// thing that take its kind of input (Coverage.byInput); feed, beside the
// windows, says what each behavior's aggregation does with the value.

// Message applies a message thing sent (sent) or received at t, on topic
// (which dimension.ValidateTopic accepted), of bytes bytes, from src when
// known. h, when not nil, is thing's handle.
func (p *Plane) Message(h *Handle, thing string, t time.Time, sent bool, topic string, bytes int64, src netip.Addr) error {
	in := inMessageReceived
	if sent {
		in = inMessageSent
	}
	var a admitted
	if err := p.enter(&a, thing, h, t); err != nil {
		return err
	}
	defer p.leave(&a)
	p.onTopic(&a, in, topic, uint64(bytes), src)
	return nil
}

// AuthFailure applies an authorization failure of thing at t on topic
// (which dimension.ValidateTopic accepted).
func (p *Plane) AuthFailure(h *Handle, thing string, t time.Time, topic string) error {
	var a admitted
	if err := p.enter(&a, thing, h, t); err != nil {
		return err
	}
	defer p.leave(&a)
	p.onTopic(&a, inAuthFailure, topic, 1, netip.Addr{})
	return nil
}

// onTopic feeds a count to the behaviors that take input in, but those
// whose dimension the topic does not pass; a source-IP behavior gets src
// instead (a list of that one address), when it is known.
func (p *Plane) onTopic(a *admitted, in input, topic string, count uint64, src netip.Addr) {
	ts := a.ts
	d := Datapoint{Kind: ValueCount, Count: count}
	var dims dimMemo
	for _, i := range ts.cov.byInput[in] {
		cb := ts.cov.behaviors[i]
		if cb.dim != nil && !dims.passes(cb, topic, ts.name) {
			continue
		}
		if cb.sourceIP {
			if src.IsValid() {
				addr := [1]netip.Addr{src.Unmap()}
				p.feed(ts, int(i), a.k, &Datapoint{Kind: ValueAddrs, Addrs: addr[:]}, a.ns)
			}
			continue
		}
		p.feed(ts, int(i), a.k, &d, a.ns)
	}
}

// dimMemo remembers, for one input, whether its topic matched each dimension
// seen so far, so that behaviors sharing a dimension (often with IN and
// NOT_IN) match the topic once.
type dimMemo struct {
	n       int
	matcher [4]*dimension.Matcher
	match   [4]bool
}

// passes reports whether the topic passes cb's dimension, as
// cb.dim.Passes(cb.dimOp, topic, client) does.
func (d *dimMemo) passes(cb *Behavior, topic, client string) bool {
	var match bool
	j := 0
	for j < d.n && d.matcher[j] != cb.dim {
		j++
	}
	if j < d.n {
		match = d.match[j]
	} else {
		match = cb.dim.MatchValid(topic, client) // the caller checked the topic
		if d.n < len(d.matcher) {
			d.matcher[d.n], d.match[d.n] = cb.dim, match
			d.n++
		}
	}
	return cb.dimOp.Admits(match)
}

// Connect applies a connection attempt of thing at t from src, refused
// when failed.
func (p *Plane) Connect(h *Handle, thing string, t time.Time, failed bool, src netip.Addr) error {
	var a admitted
	if err := p.enter(&a, thing, h, t); err != nil {
		return err
	}
	defer p.leave(&a)
	ts, k, ns := a.ts, a.k, a.ns
	if !failed && ts.disconnectedAt != 0 {
		ts.disconnectedAt = 0
		// Reconnected: aws:disconnect-duration behaviors get a zero datapoint,
		// which can clear their alarm.
		for _, i := range ts.cov.windowed {
			if ts.cov.behaviors[i].agg.grows() {
				p.observe(ts, int(i), &Datapoint{Kind: ValueCount}, ns)
			}
		}
	}
	for _, i := range ts.cov.byInput[inConnect] {
		if ts.cov.behaviors[i].sourceIP {
			// A refused attempt has no source a profile may judge.
			if !failed && src.IsValid() {
				addr := [1]netip.Addr{src.Unmap()}
				p.feed(ts, int(i), k, &Datapoint{Kind: ValueAddrs, Addrs: addr[:]}, ns)
			}
			continue
		}
		p.feed(ts, int(i), k, &Datapoint{Kind: ValueCount, Count: 1}, ns)
	}
	return nil
}

// Disconnect applies a disconnection of thing at t.
func (p *Plane) Disconnect(h *Handle, thing string, t time.Time) error {
	var a admitted
	if err := p.enter(&a, thing, h, t); err != nil {
		return err
	}
	defer p.leave(&a)
	ts, k, ns := a.ts, a.k, a.ns
	if ts.disconnectedAt == 0 {
		ts.disconnectedAt = ns
	}
	for _, i := range ts.cov.byInput[inDisconnect] {
		p.feed(ts, int(i), k, &Datapoint{Kind: ValueCount, Count: 1}, ns)
	}
	return nil
}

// Report applies a device report of thing at t. A behavior gets a
// datapoint only if the report has its metric's block; a block present
// with an empty list is a compliant datapoint.
func (p *Plane) Report(h *Handle, thing string, t time.Time, r *report.Report) error {
	var a admitted
	if err := p.enter(&a, thing, h, t); err != nil {
		return err
	}
	defer p.leave(&a)
	ts, k, ns := a.ts, a.k, a.ns
	net := r.NetworkStats
	if net.Present && p.opts.CumulativeNetStats {
		if ts.counters == nil {
			ts.counters = new(report.CounterState)
		}
		d, ok := ts.counters.Delta(net)
		net, net.Present = d, ok
	}
	var d Datapoint
	for _, i := range ts.cov.byInput[inReport] {
		if reportValue(ts.cov.behaviors[i], r, &net, &d) {
			p.feed(ts, int(i), k, &d, ns)
		}
	}
	return nil
}

// reportValue sets d to the value r gives behavior b, and reports whether
// r has one.
func reportValue(b *Behavior, r *report.Report, net *report.NetworkStats, d *Datapoint) bool {
	var v int64
	present := true
	switch b.field {
	case fieldBytesIn:
		v, present = net.BytesIn, net.Present
	case fieldBytesOut:
		v, present = net.BytesOut, net.Present
	case fieldPacketsIn:
		v, present = net.PacketsIn, net.Present
	case fieldPacketsOut:
		v, present = net.PacketsOut, net.Present
	case fieldListeningTCPCount:
		if !r.ListeningTCP.Present {
			return false
		}
		v = r.ListeningTCP.Total
	case fieldListeningUDPCount:
		if !r.ListeningUDP.Present {
			return false
		}
		v = r.ListeningUDP.Total
	case fieldEstablishedCount:
		if !r.Established.Present {
			return false
		}
		v = r.Established.Total
	case fieldListeningTCPPorts:
		*d = Datapoint{Kind: ValuePorts, Ports: r.ListeningTCP.Ports}
		return r.ListeningTCP.Present
	case fieldListeningUDPPorts:
		*d = Datapoint{Kind: ValuePorts, Ports: r.ListeningUDP.Ports}
		return r.ListeningUDP.Present
	case fieldDestinationIPs:
		*d = Datapoint{Kind: ValueAddrs, Addrs: r.Established.RemoteAddrs}
		return r.Established.Present
	case fieldCustom:
		return customValue(b, r, d)
	default:
		return false
	}
	*d = Datapoint{Kind: ValueCount, Count: uint64(max(v, 0))}
	return present
}

// customValue sets d to the value of b's custom metric in r, if it has one.
func customValue(b *Behavior, r *report.Report, d *Datapoint) bool {
	cv, ok := r.CustomByName(b.custom)
	if !ok {
		return false
	}
	switch cv.Kind {
	case report.Number:
		*d = Datapoint{Kind: ValueNumber, Number: cv.Number}
	case report.NumberList:
		*d = Datapoint{Kind: ValueNumbers, Numbers: cv.Numbers}
	case report.StringList:
		*d = Datapoint{Kind: ValueStrings, Strings: cv.Strings}
	case report.IPList:
		*d = Datapoint{Kind: ValueAddrs, Addrs: cv.IPs}
	default:
		return false
	}
	return true
}

// windowBits is d as a window accumulates it: a count, or a float's bits.
func windowBits(d *Datapoint) uint64 {
	if d.Kind == ValueNumber {
		return math.Float64bits(d.Number)
	}
	return d.Count
}
