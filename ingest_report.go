package ruledetect

import (
	"context"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
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
func (e *Engine) ingestReport(ctx context.Context, h *eval.Handle, thing string, t time.Time, format ReportFormat, data []byte) (IngestResult, error) {
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
