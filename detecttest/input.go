package detecttest

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ruledetect/ruledetect"
)

// Kinds of Input, spelt as the replay format's "type" field spells them
// (a report has no type there).
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

// Ingest calls e's Ingest method for in. The error is the engine's
// (ruledetect.ErrInvalidRequest, ErrMalformedReport, ErrLateInput), or
// ErrInvalidRequest for an unknown Kind.
func Ingest(e *ruledetect.Engine, in *Input) error {
	switch in.Kind {
	case KindReport:
		format := ruledetect.JSON
		if in.CBOR {
			format = ruledetect.CBOR
		}
		_, err := e.IngestReport(in.Thing, in.Time, format, in.Report)
		return err
	case KindMessageSent, KindMessageReceived:
		dir := ruledetect.Sent
		if in.Kind == KindMessageReceived {
			dir = ruledetect.Received
		}
		return e.IngestMessage(ruledetect.Message{Thing: in.Thing, Time: in.Time, Direction: dir,
			Topic: in.Topic, Bytes: in.Bytes, SourceIP: in.SourceIP})
	case KindAuthorizationFailure:
		return e.IngestAuthorizationFailure(ruledetect.AuthorizationFailure{Thing: in.Thing, Time: in.Time, Topic: in.Topic})
	case KindConnect:
		return e.IngestConnect(ruledetect.Connect{Thing: in.Thing, Time: in.Time, SourceIP: in.SourceIP})
	case KindDisconnect:
		return e.IngestDisconnect(ruledetect.Disconnect{Thing: in.Thing, Time: in.Time})
	}
	return fmt.Errorf("input kind %q: %w", in.Kind, ruledetect.ErrInvalidRequest)
}

// Series sends every series of the map (key → notation, see SeriesInputs)
// from the start of the evaluation period that holds the clock, merged in
// time order, then moves the clock to the end of the longest series and
// advances the engine there, so every period of the series has closed.
func (s *Sim) Series(series map[string]string) *Sim {
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
	s.Engine.Advance(s.now)
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
