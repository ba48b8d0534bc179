package detecttest

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/feed"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// Kinds of Input, spelt as the replay format's "type" field spells them
// (a report has no type there), which is what Ingest reads them as.
const (
	KindReport               = "report"
	KindMessageSent          = "message-sent"
	KindMessageReceived      = "message-received"
	KindAuthorizationFailure = "authorization-failure"
	KindConnect              = "connect"
	KindDisconnect           = "disconnect"
)

// Input is one input to the engine: a device metrics report or a
// cloud-side event of one thing at one time.
type Input struct {
	Time     time.Time
	Thing    string
	Kind     string     // one of the Kind constants
	Topic    string     // messages and authorization failures
	Bytes    int64      // messages
	SourceIP netip.Addr // messages and connects, when known
	Failed   bool       // connects: a failed attempt, which counts toward aws:num-connection-attempts only
	Report   []byte     // reports: the report document
	CBOR     bool       // reports: Report is CBOR, not JSON
}

// SortInputs orders inputs by time, keeping the given order among equal
// times, which is an order the engine accepts: no input is late.
func SortInputs(ins []Input) {
	slices.SortStableFunc(ins, func(a, b Input) int { return a.Time.Compare(b.Time) })
}

// Send ingests inputs in the order given. Inputs do not move the clock.
func (s *Sim) Send(ins ...Input) *Sim {
	for i := range ins {
		if !s.ok() {
			break
		}
		s.fail(Ingest(s.Engine, &ins[i]))
	}
	return s
}

// Ingest feeds in to e as `ruledetect replay` feeds a record: a report to
// IngestReport, a cloud-side event to the matching Ingest method. The error
// is the engine's (ruledetect.ErrInvalidRequest, ErrMalformedReport,
// ErrLateInput, ErrClockJump), or ErrInvalidRequest for an unknown Kind.
func Ingest(e *ruledetect.Engine, in *Input) error {
	ctx := context.Background()
	rec := replay.Record{Time: in.Time, ThingName: in.Thing, Report: in.Report, ReportFormat: replay.JSON,
		Topic: in.Topic, Bytes: in.Bytes, SourceIP: in.SourceIP, Failed: in.Failed}
	if in.CBOR {
		rec.ReportFormat = replay.CBOR
	}
	for k := replay.Report; k <= replay.Disconnect; k++ {
		if k.String() == in.Kind {
			rec.Kind = k
		}
	}
	if rec.Kind == 0 {
		return fmt.Errorf("input kind %q: %w", in.Kind, ruledetect.ErrInvalidRequest)
	}
	_, err := feed.Apply(ctx, e, &rec)
	return err
}

// Series sends every series of the map (key → notation, see SeriesInputs)
// from the start of the evaluation period that holds the clock, merged in
// time order, then moves the clock to the end of the longest series and
// advances the engine there, so every period of the series has closed.
func (s *Sim) Series(series map[string]string) *Sim {
	ctx := context.Background()
	if !s.ok() {
		return s
	}
	from := s.now.Truncate(s.period)
	keys := make([]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var all []Input
	end := from
	for _, k := range keys {
		ins, n, err := SeriesInputs(k, series[k], from, s.period)
		if err != nil {
			s.fail(err)
			return s
		}
		all = append(all, ins...)
		end = later(end, from.Add(time.Duration(n)*s.period))
	}
	SortInputs(all)
	s.Send(all...)
	s.now = later(end, s.now)
	s.Engine.Advance(ctx, s.now)
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
