package main

import (
	"bufio"
	"context"
	"io"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

// eventStream writes a replay's violation events while it runs, each as
// soon as it is final, and forgets them once written, so that a replay
// holds only the events it cannot write yet (those at or after the engine's
// newest closed evaluation period boundary) however many there are.
//
// An event before the engine's ClosedBoundary is final: every later input
// or boundary close produces events at or after that boundary. So each
// drain lists the events before the boundary, writes them in the replay's
// order (see sortEvents: the events of one drain are all later than those of
// the drain before, so sorting each drain sorts the whole output), and
// prunes them from the log.
type eventStream struct {
	e       *ruledetect.Engine
	w       *bufio.Writer
	before  func() // called before a batch is written (clears the progress line)
	drained time.Time
	counts  map[violation.EventType]int
	batch   []ruledetect.ViolationEvent
	line    []byte
	// onWrite, when set, sees every batch written (replay --report keeps
	// the events the stream prunes from the engine).
	onWrite func([]ruledetect.ViolationEvent)
}

// newEventStream streams the events of e to w. e must keep events for
// replayRetention, longer than any span of engine time, so that only the
// stream prunes them: the engine's own pruning would drop events older
// than its retention before they are written.
func newEventStream(e *ruledetect.Engine, w io.Writer, before func()) *eventStream {
	return &eventStream{e: e, w: bufio.NewWriterSize(w, 64<<10), before: before, counts: map[violation.EventType]int{}}
}

// drain writes the events that are final by now. Cheap when the engine has
// closed no boundary since the last call, so it may run after every input.
func (s *eventStream) drain() error {
	b, ok := s.e.ClosedBoundary()
	if !ok || !b.After(s.drained) {
		return nil
	}
	if err := s.write(b.Add(-time.Nanosecond)); err != nil {
		return err
	}
	s.drained = b
	s.e.DropEventsBefore(b) // exactly the events just written

	return nil
}

// finish writes every event left, once the input has ended and the engine
// has been advanced for the last time.
func (s *eventStream) finish() error {
	return s.write(maxEngineTime)
}

// write writes the events from the last drain's boundary up to end
// (inclusive) and flushes them.
func (s *eventStream) write(end time.Time) error {
	ctx := context.Background()
	in := ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0).UTC()),
		EndTime:   behavior.At(end),
	}
	s.batch = s.batch[:0]
	for ev, err := range s.e.ViolationEvents(ctx, in) {
		if err != nil {
			return err
		}
		s.batch = append(s.batch, ev)
	}
	if len(s.batch) == 0 {
		return nil
	}
	sortEvents(s.batch)
	if s.before != nil {
		s.before()
	}
	for i := range s.batch {
		var err error
		s.line, err = json.Marshal(&s.batch[i])
		if err != nil {
			return err
		}
		s.w.Write(s.line)
		s.w.WriteByte('\n')
		s.counts[s.batch[i].ViolationEventType]++
	}
	if s.onWrite != nil {
		s.onWrite(s.batch)
	}
	clear(s.batch) // let the collector have the events
	return s.w.Flush()
}
