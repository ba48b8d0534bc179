package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// applyRecord feeds one replay record to the engine: a report to
// IngestReport, a cloud-side event to the matching Ingest method. It
// returns the values the engine dropped from a report it accepted. The error
// is the engine's (matching ruledetect.ErrInvalidRequest,
// ErrMalformedReport or ErrLateInput), or an error for a record the reader
// could not have produced (an invalid Kind or report format).
func applyRecord(e *ruledetect.Engine, rec *replay.Record) ([]ruledetect.DroppedValue, error) {
	switch rec.Kind {
	case replay.Report:
		var format ruledetect.ReportFormat
		switch rec.ReportFormat {
		case replay.JSON:
			format = ruledetect.JSON
		case replay.CBOR:
			format = ruledetect.CBOR
		default:
			return nil, fmt.Errorf("report format %v: %w", rec.ReportFormat, ruledetect.ErrInvalidRequest)
		}
		res, err := e.IngestReport(rec.ThingName, rec.Time, format, rec.Report)
		return res.Dropped, err
	case replay.MessageSent, replay.MessageReceived:
		dir := ruledetect.Sent
		if rec.Kind == replay.MessageReceived {
			dir = ruledetect.Received
		}
		return nil, e.IngestMessage(ruledetect.Message{
			Thing: rec.ThingName, Time: rec.Time, Direction: dir,
			Topic: rec.Topic, Bytes: rec.Bytes, SourceIP: rec.SourceIP,
		})
	case replay.AuthorizationFailure:
		return nil, e.IngestAuthorizationFailure(ruledetect.AuthorizationFailure{Thing: rec.ThingName, Time: rec.Time, Topic: rec.Topic})
	case replay.Connect:
		return nil, e.IngestConnect(ruledetect.Connect{Thing: rec.ThingName, Time: rec.Time, SourceIP: rec.SourceIP, Failed: rec.Failed})
	case replay.Disconnect:
		return nil, e.IngestDisconnect(ruledetect.Disconnect{Thing: rec.ThingName, Time: rec.Time})
	}
	return nil, fmt.Errorf("record kind %v: %w", rec.Kind, ruledetect.ErrInvalidRequest)
}

// isInputRejection reports whether err is the engine refusing one input
// (which --skip-bad skips) rather than a failure of the replay itself.
func isInputRejection(err error) bool {
	return errors.Is(err, ruledetect.ErrInvalidRequest) ||
		errors.Is(err, ruledetect.ErrMalformedReport) ||
		errors.Is(err, ruledetect.ErrLateInput) ||
		errors.Is(err, ruledetect.ErrClockJump)
}

// unmarshalStrict decodes a create-* request, rejecting unknown members so
// that a misspelt key is an error rather than a silently missing field.
func unmarshalStrict(data []byte, v any) error {
	return json.Unmarshal(data, v, json.RejectUnknownMembers(true))
}

// replayRetention keeps every event of a replay: the log prunes by event
// time, and the longest Duration (292 years) is more than the span of
// times the engine can represent (1970 to maxEngineTime).
const replayRetention = time.Duration(math.MaxInt64)

// maxEngineTime is the last instant whose Unix nanoseconds fit in an int64,
// which is how the engine keeps event time.
var maxEngineTime = time.Unix(0, math.MaxInt64).UTC()

// closingTime returns the end of the evaluation period that contains t: the
// next multiple of period strictly after t, so that the window holding t
// closes.
func closingTime(t time.Time, period time.Duration) time.Time {
	p := int64(period)
	ns := t.UnixNano()
	k := ns / p
	if ns%p < 0 {
		k--
	}
	return time.Unix(0, (k+1)*p).UTC()
}

// allEvents returns every violation event of the engine in the order the
// replay prints them: by time, then thing, profile and behavior, then in
// evaluation order (the log's order, which a stable sort keeps).
func allEvents(e *ruledetect.Engine) ([]ruledetect.ViolationEvent, error) {
	in := ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
	}
	var out []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(in) {
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	sortEvents(out)
	return out, nil
}

// sortEvents orders events by time, then thing, profile and behavior name,
// keeping the given (evaluation) order among equals.
func sortEvents(evs []ruledetect.ViolationEvent) {
	slices.SortStableFunc(evs, func(a, b ruledetect.ViolationEvent) int {
		return cmp.Or(
			a.ViolationEventTime.Compare(b.ViolationEventTime.Time),
			cmp.Compare(a.ThingName, b.ThingName),
			cmp.Compare(a.SecurityProfileName, b.SecurityProfileName),
			cmp.Compare(a.Behavior.Name, b.Behavior.Name),
		)
	})
}
