package ruledetect

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect/internal/report"
)

// ReportFormat is the encoding of a device metrics report: what the device
// published on $aws/things/NAME/defender/metrics/json or …/cbor.
type ReportFormat uint8

// The report formats.
const (
	JSON ReportFormat = iota + 1
	CBOR
)

// String returns "json" or "cbor".
func (f ReportFormat) String() string {
	switch f {
	case JSON:
		return "json"
	case CBOR:
		return "cbor"
	}
	return "invalid"
}

// IngestResult says what the engine did with an accepted report.
type IngestResult struct {
	// ReportID is the report's header.report_id, which the service echoes
	// as reportId in its accepted reply.
	ReportID int64
	// Dropped lists the values the engine left out of the report without
	// rejecting it: custom metric values that break the service's value
	// rules (which the service silently does not retain) and out-of-range
	// ports or unparsable addresses, and unknown keys inside metrics. It
	// lists the first 100 of them; DroppedCount counts them all. Nil for a
	// clean report.
	Dropped []DroppedValue
	// DroppedCount is the number of values left out, listed in Dropped or
	// not: DroppedCount − len(Dropped) more than Dropped lists.
	DroppedCount int
}

// DroppedValue is one value of a report that was left out.
type DroppedValue struct {
	// Metric is the metric the value belonged to, e.g. "aws:listening-tcp-ports"
	// or a custom metric's name; empty for an ignored unknown key.
	Metric string
	// Path locates the value in the report, in the report's own key
	// spelling ("met.tp.pts[2].pt").
	Path string
	// Reason says which rule it broke.
	Reason string
}

// IngestReport decodes a device metrics report that thing published at t
// and applies it. A structurally malformed report is rejected whole with an
// error matching ErrMalformedReport (the service answers "Malformed metrics
// report") and changes nothing; values that break the value rules are
// dropped, listed in the result, and the rest of the report is applied. A
// report larger than the maximum report size (WithMaxReportSize, default
// 128 KiB as AWS IoT Core's MQTT payload limit) is rejected with
// ErrReportTooLarge before it is decoded.
//
// Decoding happens before the engine's lock is taken, so goroutines that
// ingest reports decode in parallel.
//
// ctx is as for IngestMessage; a ctx that ends while the report is being
// decoded also rejects it with ctx.Err(), having changed nothing.
func (e *Engine) IngestReport(ctx context.Context, thing string, t time.Time, format ReportFormat, data []byte) (IngestResult, error) {
	return e.ingestReport(ctx, nil, thing, t, format, data)
}

// ingestReport is PrepareReport and ApplyReport in one go, with a pooled
// PreparedReport: the one path of a report into the engine.
func (e *Engine) ingestReport(ctx context.Context, h *Thing, thing string, t time.Time, format ReportFormat, data []byte) (IngestResult, error) {
	if err := ctx.Err(); err != nil {
		return IngestResult{}, err
	}
	s := e.decoders.Get().(*reportScratch)
	defer e.decoders.Put(s)
	_ = e.prepareReport(&s.d, &s.p, h, thing, t, format, data) // ApplyReport returns the error
	res, err := e.ApplyReport(ctx, &s.p)
	// The pooled PreparedReport keeps its buffer; the caller owns the result.
	res.Dropped = slices.Clone(res.Dropped)
	return res, err
}

// applyReport feeds every report-side behavior of ts from r. A behavior gets
// a datapoint only if the report has its metric's block; a block present
// with an empty list is a compliant datapoint.
func (e *Engine) applyReport(ts *thingState, r *report.Report, t int64) {
	ns := r.NetworkStats
	if ns.Present && e.opts.cumulativeNetStats {
		if ts.counters == nil {
			ts.counters = new(report.CounterState)
		}
		d, ok := ts.counters.Delta(ns)
		ns, ns.Present = d, ok
	}
	k := e.periodOf(t)
	for _, i := range ts.cov.byInput[inReport] {
		cb := ts.cov.behaviors[i]
		switch cb.field {
		case fieldBytesIn, fieldBytesOut, fieldPacketsIn, fieldPacketsOut:
			if ns.Present {
				e.feedCount(ts, int(i), k, networkStat(ns, cb.field), t)
			}
		case fieldListeningTCPCount:
			if r.ListeningTCP.Present {
				e.feedCount(ts, int(i), k, r.ListeningTCP.Total, t)
			}
		case fieldListeningUDPCount:
			if r.ListeningUDP.Present {
				e.feedCount(ts, int(i), k, r.ListeningUDP.Total, t)
			}
		case fieldEstablishedCount:
			if r.Established.Present {
				e.feedCount(ts, int(i), k, r.Established.Total, t)
			}
		case fieldListeningTCPPorts:
			if r.ListeningTCP.Present {
				e.observe(ts, int(i), datapoint{kind: dpPorts, ports: r.ListeningTCP.Ports}, t)
			}
		case fieldListeningUDPPorts:
			if r.ListeningUDP.Present {
				e.observe(ts, int(i), datapoint{kind: dpPorts, ports: r.ListeningUDP.Ports}, t)
			}
		case fieldDestinationIPs:
			if r.Established.Present {
				e.observe(ts, int(i), datapoint{kind: dpAddrs, addrs: r.Established.RemoteAddrs}, t)
			}
		case fieldCustom:
			if cv, ok := r.CustomByName(cb.custom); ok {
				e.feedCustom(ts, int(i), k, cv, t)
			}
		}
	}
}

// feedCount applies an integer value: summed or kept as the last value in a
// window, or judged at once.
func (e *Engine) feedCount(ts *thingState, i int, k, v, t int64) {
	u := uint64(max(v, 0))
	switch ts.cov.behaviors[i].agg {
	case aggSumIfAny:
		e.retainInput(ts, i, datapoint{kind: dpCount, count: u}, t)
		e.add(ts, i, k, u)
	case aggLast:
		e.retainInput(ts, i, datapoint{kind: dpCount, count: u}, t)
		e.setLast(ts, i, k, u, t)
	default:
		e.observe(ts, i, datapoint{kind: dpCount, count: u}, t)
	}
}

func (e *Engine) feedCustom(ts *thingState, i int, k int64, cv *report.CustomValue, t int64) {
	cb := ts.cov.behaviors[i]
	switch cv.Kind {
	case report.Number:
		if cb.agg == aggLast && cb.float {
			e.retainInput(ts, i, datapoint{kind: dpNumber, number: cv.Number}, t)
			e.setLast(ts, i, k, math.Float64bits(cv.Number), t)
			return
		}
		e.observe(ts, i, datapoint{kind: dpNumber, number: cv.Number}, t)
	case report.NumberList:
		e.observe(ts, i, datapoint{kind: dpNumbers, numbers: cv.Numbers}, t)
	case report.StringList:
		e.observe(ts, i, datapoint{kind: dpStrings, strings: cv.Strings}, t)
	case report.IPList:
		e.observe(ts, i, datapoint{kind: dpAddrs, addrs: cv.IPs}, t)
	}
}

func networkStat(ns report.NetworkStats, f field) int64 {
	switch f {
	case fieldBytesIn:
		return ns.BytesIn
	case fieldBytesOut:
		return ns.BytesOut
	case fieldPacketsIn:
		return ns.PacketsIn
	case fieldPacketsOut:
		return ns.PacketsOut
	}
	return 0
}
