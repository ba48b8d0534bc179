// Package feed turns replay records into Engine calls: the one mapping from
// a line of `ruledetect replay` input to the engine's ingest API, shared by
// the CLI, the demo and the benchmarks. Apply feeds one record; Run feeds a
// whole input, decoding on several goroutines and applying in file order.
package feed

import (
	"context"
	"fmt"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// Apply feeds one record to e: a report to IngestReport, a cloud-side event
// to the matching Ingest method. It returns the values the engine dropped
// from a report it accepted. The error is the engine's (matching
// ruledetect.ErrInvalidRequest, ErrMalformedReport, ErrLateInput or
// ErrClockJump), or, wrapping ErrInvalidRequest, one for a record the
// reader could not have produced (an invalid Kind or report format).
func Apply(ctx context.Context, e *ruledetect.Engine, rec *replay.Record) ([]ruledetect.DroppedValue, error) {
	if rec.Kind == replay.Report {
		format, err := reportFormat(rec)
		if err != nil {
			return nil, err
		}
		res, err := e.IngestReport(ctx, rec.ThingName, rec.Time, format, rec.Report)
		return res.Dropped, err
	}
	return nil, applyEvent(ctx, e, rec)
}

// reportFormat maps a report record's format to the engine's.
func reportFormat(rec *replay.Record) (ruledetect.ReportFormat, error) {
	switch rec.ReportFormat {
	case replay.JSON:
		return ruledetect.JSON, nil
	case replay.CBOR:
		return ruledetect.CBOR, nil
	}
	return 0, fmt.Errorf("report format %v: %w", rec.ReportFormat, ruledetect.ErrInvalidRequest)
}

// applyEvent feeds a cloud-side event record to the matching Ingest method.
func applyEvent(ctx context.Context, e *ruledetect.Engine, rec *replay.Record) error {
	switch rec.Kind {
	case replay.MessageSent, replay.MessageReceived:
		dir := ruledetect.Sent
		if rec.Kind == replay.MessageReceived {
			dir = ruledetect.Received
		}
		return e.IngestMessage(ctx, ruledetect.Message{
			Thing: rec.ThingName, Time: rec.Time, Direction: dir,
			Topic: rec.Topic, Bytes: rec.Bytes, SourceIP: rec.SourceIP,
		})
	case replay.AuthorizationFailure:
		return e.IngestAuthorizationFailure(ctx, ruledetect.AuthorizationFailure{Thing: rec.ThingName, Time: rec.Time, Topic: rec.Topic})
	case replay.Connect:
		return e.IngestConnect(ctx, ruledetect.Connect{Thing: rec.ThingName, Time: rec.Time, SourceIP: rec.SourceIP, Failed: rec.Failed})
	case replay.Disconnect:
		return e.IngestDisconnect(ctx, ruledetect.Disconnect{Thing: rec.ThingName, Time: rec.Time})
	}
	return fmt.Errorf("record kind %v: %w", rec.Kind, ruledetect.ErrInvalidRequest)
}
