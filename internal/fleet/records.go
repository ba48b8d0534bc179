package fleet

import (
	"iter"
	"net/netip"

	"github.com/ruledetect/ruledetect/internal/replay"
)

// Records returns the run's records in time order, then thing name; a
// thing's records of one instant come as connect, report, messages sent,
// messages received, authorization failures, disconnect.
//
// The sequence yields one reused *replay.Record: a yielded record, its Report
// bytes included, is valid only until the next one is yielded. Copy what must
// outlive it. Each iteration of the sequence starts afresh and yields the same
// records.
func (f *Fleet) Records() iter.Seq[*replay.Record] {
	return func(yield func(*replay.Record) bool) {
		g := gen{f: f, rec: &replay.Record{Report: make([]byte, 0, 2048)}}
		for m := range f.minutes {
			for _, i := range f.order {
				if !g.minute(int(i), m, yield) {
					return
				}
			}
		}
	}
}

// gen holds the reused record of one iteration.
type gen struct {
	f   *Fleet
	rec *replay.Record
}

// minute yields thing i's records of minute m; false means stop.
func (g *gen) minute(i, m int, yield func(*replay.Record) bool) bool {
	f, t := g.f, &g.f.things[i]
	r := newRNG(f.cfg.Seed, i, m, saltMinute)
	attacking := t.attack != 0 && m >= t.attackMin
	g.rec.Time = f.at(t, m)
	g.rec.ThingName = t.name

	if m == 0 || f.disconnects(i, m-1) {
		src := t.source
		if attacking && t.attack == OutsideConnect {
			src = outsideSource
		}
		if !g.event(replay.Connect, "", 0, src, yield) {
			return false
		}
	}
	if m%f.cycle == t.phase {
		g.report(t, i, m, attacking)
		if !yield(g.rec) {
			return false
		}
	}
	sent, size := 0, int64(0)
	if r.oneIn(2) {
		sent = 1
	}
	if attacking && t.attack == MessageFlood {
		sent = 10 + r.intn(3)
	}
	for range sent {
		switch {
		case attacking && t.attack == MessageFlood:
			size = r.between(8<<10, 16<<10)
		case t.camera:
			size = r.between(200, 1500)
		default:
			size = r.between(60, 400)
		}
		var src netip.Addr
		switch {
		case t.tagSource && attacking && t.attack == OutsideConnect:
			src = outsideSource
		case t.tagSource:
			src = t.source
		}
		if !g.event(replay.MessageSent, t.telemetry, size, src, yield) {
			return false
		}
	}
	if r.oneIn(10) && !g.event(replay.MessageReceived, t.command, r.between(32, 256), netip.Addr{}, yield) {
		return false
	}
	// At most one ordinary failure per report cycle, so that no window of
	// normal traffic comes near the profile's threshold.
	failures := 0
	if m%f.cycle == t.phase && r.oneIn(400) {
		failures = 1
	}
	if attacking && t.attack == AuthFailureBurst {
		failures = 2 + r.intn(3)
	}
	for range failures {
		if !g.event(replay.AuthorizationFailure, t.neighbor, 0, netip.Addr{}, yield) {
			return false
		}
	}
	if f.disconnects(i, m) && !g.event(replay.Disconnect, "", 0, netip.Addr{}, yield) {
		return false
	}
	return true
}

// disconnects reports whether thing i disconnects at the end of minute m, to
// reconnect at minute m+1: about once a day, and just before a hijack.
func (f *Fleet) disconnects(i, m int) bool {
	if m < 0 || m >= f.minutes-1 {
		return false
	}
	t := &f.things[i]
	if t.attack == OutsideConnect && m == t.attackMin-1 {
		return true
	}
	r := newRNG(f.cfg.Seed, i, m, saltDisconnect)
	return r.oneIn(1440)
}

// event sets the reused record to a cloud-side event and yields it.
func (g *gen) event(k replay.Kind, topic string, bytes int64, src netip.Addr, yield func(*replay.Record) bool) bool {
	rec := g.rec
	rec.Kind = k
	rec.Report = rec.Report[:0]
	rec.ReportFormat = 0
	rec.Topic = topic
	rec.Bytes = bytes
	rec.SourceIP = src
	return yield(rec)
}
