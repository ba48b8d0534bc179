package ruledetect

import (
	"context"
	"time"

	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/report"
)

// PreparedReport is a device metrics report decoded by
// [Engine.PrepareReport] and waiting to be applied by [Engine.ApplyReport].
//
// Ingesting a report is mostly decoding it, which needs nothing of the
// engine's state; splitting the two lets a caller decode many reports on
// several goroutines and still apply them one by one in the order it
// chooses (a replay applies them in file order, so that the events are the
// same as when it ingests them one at a time).
//
// The zero value is ready to use. A PreparedReport keeps its buffers
// between uses, so preparing reports into the same few values allocates
// nothing once warm. It is not safe for concurrent use.
type PreparedReport struct {
	h     *eval.Handle // the handle the report came through, nil for by name
	thing string
	t     time.Time
	r     report.Report
	res   IngestResult
	drops []DroppedValue // res.Dropped's buffer, kept between uses
	err   error          // the rejection found while preparing, returned by apply
	ready bool           // prepared and not yet applied
}

// reportScratch is a report decoder with a PreparedReport to decode into;
// the engine keeps them in a pool, one per goroutine in use, so ingesting
// a report allocates nothing in steady state.
type reportScratch struct {
	d report.Decoder
	p PreparedReport
}

func newDecoder() any { return new(reportScratch) }

// PrepareReport checks and decodes the report that thing published at t into
// p, replacing what p held. It takes no lock and changes nothing in the
// engine, so it may run on any goroutine, concurrently with everything else.
//
// It returns the error IngestReport would return for a report rejected
// before reaching the engine's state (matching ErrInvalidRequest,
// ErrReportTooLarge or ErrMalformedReport). The error is also kept in p:
// ApplyReport returns it again and only then counts the report as rejected,
// so a report prepared but never applied leaves no trace.
//
// The decoded report does not refer to data: the caller may reuse data as
// soon as PrepareReport returns.
func (e *Engine) PrepareReport(p *PreparedReport, thing string, t time.Time, format ReportFormat, data []byte) error {
	s := e.decoders.Get().(*reportScratch)
	err := e.prepareReport(&s.d, p, nil, thing, t, format, data)
	e.decoders.Put(s)
	return err
}

// ApplyReport applies a report prepared by PrepareReport, exactly as
// IngestReport would have applied it at this point: the report's time is
// judged against the engine's clock now, not when it was prepared. A report
// rejected while preparing is rejected now with the same error.
//
// The result's Dropped list is p's own and stays valid until p is prepared
// again. Applying p empties it: a second ApplyReport without a new
// PrepareReport fails with an error matching ErrInvalidRequest.
//
// A ctx already done rejects the call with ctx.Err(), leaving p prepared;
// ctx also bounds the wait for room in the delivery queue, as for
// IngestMessage.
func (e *Engine) ApplyReport(ctx context.Context, p *PreparedReport) (IngestResult, error) {
	if err := ctx.Err(); err != nil {
		return IngestResult{}, err
	}
	if !p.ready {
		return IngestResult{}, newError("ApplyReport", ErrInvalidRequest, p.thing, "no prepared report to apply (PrepareReport first)")
	}
	p.ready = false
	if p.err != nil {
		return IngestResult{}, e.reject(p.err)
	}
	const op = "IngestReport"
	if err := e.applied(ctx, op, p.thing, e.plane.Report(p.h, p.thing, p.t, &p.r)); err != nil {
		return IngestResult{}, err
	}
	return p.res, nil
}

// prepareReport is the first half of ingesting a report: every check that
// needs no engine state, and the decode with d. Its error is kept in p.
func (e *Engine) prepareReport(d *report.Decoder, p *PreparedReport, h *eval.Handle, thing string, t time.Time, format ReportFormat, data []byte) error {
	const op = "IngestReport"
	p.h, p.thing, p.t, p.ready = h, thing, t, true
	p.res = IngestResult{}
	p.err = e.decodeReport(d, &p.r, op, h, thing, t, format, data)
	if p.err != nil {
		p.r.Reset()
		return p.err
	}
	p.res.ReportID, p.res.DroppedCount = p.r.ReportID, p.r.DroppedCount
	if len(p.r.Dropped) > 0 { // nil for a clean report, as documented
		p.drops = p.drops[:0]
		for _, dv := range p.r.Dropped {
			p.drops = append(p.drops, DroppedValue(dv))
		}
		p.res.Dropped = p.drops
	}
	return nil
}

// decodeReport checks the report's envelope and decodes it into r.
func (e *Engine) decodeReport(d *report.Decoder, r *report.Report, op string, h *eval.Handle, thing string, t time.Time, format ReportFormat, data []byte) error {
	if err := firstErr(checkThingUnless(h, op, thing), checkTime(op, thing, t)); err != nil {
		return err
	}
	if len(data) > e.opts.maxReportSize {
		return newError(op, ErrReportTooLarge, thing,
			"report of %d bytes is larger than the maximum of %d bytes", len(data), e.opts.maxReportSize)
	}
	var err error
	switch format {
	case JSON:
		err = d.DecodeJSON(data, r)
	case CBOR:
		err = d.DecodeCBOR(data, r)
	default:
		return newError(op, ErrInvalidRequest, thing, "report format must be JSON or CBOR")
	}
	if err != nil {
		return &Error{Op: op, Kind: ErrMalformedReport, Resource: thing, Message: err.Error(), Cause: err}
	}
	return nil
}
