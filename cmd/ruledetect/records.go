package main

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

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
	ctx := context.Background()
	in := ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
	}
	var out []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(ctx, in) {
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
