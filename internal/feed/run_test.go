package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/fleet"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// fleetEngine is an engine with the generated fleet's profile and custom
// metrics.
func fleetEngine(t testing.TB) *ruledetect.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := ruledetect.New()
	require.NoError(t, err)
	for _, c := range fleet.CustomMetrics() {
		var in ruledetect.CreateCustomMetricInput
		require.NoError(t, json.Unmarshal(c, &in))
		_, err := e.CreateCustomMetric(ctx, in)
		require.NoError(t, err)
	}
	var p ruledetect.CreateSecurityProfileInput
	require.NoError(t, json.Unmarshal(fleet.Profile(), &p))
	_, err = e.CreateSecurityProfile(ctx, p)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, p.SecurityProfileName, e.Arn("all/things")))
	return e
}

// fleetInput is a small generated fleet as JSON Lines, with bad lines, a
// malformed report, a late record and a CBOR report mixed in.
func fleetInput(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, fleet.New(fleet.Config{Things: 80, Duration: 3 * time.Hour, Seed: 3}).WriteJSONL(&buf))
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var out []string
	for i, l := range lines {
		switch i {
		case 50:
			out = append(out, `{"time":1767225900,"thingName":"x","type":"disconnect","bogus":1}`)
		case 900:
			out = append(out, `{"time":"2026-01-01T00:20:00Z","thingName":"cam-00001","report":{"hed":}}`)
		case 1500:
			out = append(out, `{"time":"1970-01-01T00:00:00Z","thingName":"x","type":"disconnect"}`, "", "\t")
		case 2000:
			out = append(out, `{"time":"2026-01-01T01:00:00Z","thingName":"cbor-1","reportCbor":"oWNoZWSiY3JpZBoAAAABYXZjMS4w"}`)
		case 2500:
			out = append(out, `{"time":1,"thingName":"x","report":{"a":1}`+strings.Repeat(" ", replay.MaxLineBytes)+`}`)
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// seen is what a run saw of one line.
type seen struct {
	Line    int
	Kind    replay.Kind
	Thing   string
	Dropped int
	Err     string
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// reference runs input the plain way, Reader.All and Apply, record after record.
func reference(t *testing.T, input []byte) ([]seen, []ruledetect.ViolationEvent, ruledetect.Stats) {
	e := fleetEngine(t)
	r := replay.NewReader(bytes.NewReader(input))
	var out []seen
	for rec, err := range r.All() {
		if err != nil {
			out = append(out, seen{Line: r.Line(), Err: errString(err)})
			continue
		}
		drops, err := Apply(context.Background(), e, rec)
		out = append(out, seen{r.Line(), rec.Kind, rec.ThingName, len(drops), errString(err)})
	}
	return out, finish(t, e), e.Stats()
}

func finish(t *testing.T, e *ruledetect.Engine) []ruledetect.ViolationEvent {
	e.Advance(context.Background(), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	var evs []ruledetect.ViolationEvent
	for ev, err := range e.ViolationEvents(context.Background(), ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0)), EndTime: behavior.At(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)),
	}) {
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	return evs
}

func runWith(t *testing.T, input []byte, workers int) ([]seen, []ruledetect.ViolationEvent, ruledetect.Stats) {
	e := fleetEngine(t)
	var out []seen
	err := Run(context.Background(), e, replay.NewReader(bytes.NewReader(input)), workers, func(o *Outcome) error {
		s := seen{Line: o.Line, Dropped: len(o.Dropped), Err: errString(o.Err)}
		if o.Record != nil {
			s.Kind, s.Thing = o.Record.Kind, o.Record.ThingName
		}
		out = append(out, s)
		return nil
	})
	require.NoError(t, err)
	return out, finish(t, e), e.Stats()
}

// Run gives every line the outcome a loop over Reader.Next and Apply gives
// it, in the same order, and leaves the engine in the same state, with any
// number of workers.
func TestRunIsNextAndApply(t *testing.T) {
	input := fleetInput(t)
	want, wantEvents, wantStats := reference(t, input)
	require.NotEmpty(t, wantEvents)
	var bad, rejected int
	for _, s := range want {
		if s.Err != "" && s.Kind == 0 {
			bad++
		} else if s.Err != "" {
			rejected++
		}
	}
	require.Equal(t, 2, bad)
	require.Equal(t, 3, rejected, "the malformed JSON report, the CBOR report without metrics, the late record")
	for _, workers := range []int{1, 2, 5} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			got, gotEvents, gotStats := runWith(t, input, workers)
			assert.Equal(t, want, got)
			assert.Equal(t, wantEvents, gotEvents)
			assert.Equal(t, wantStats, gotStats)
		})
	}
}

// A visit error stops Run: no line after it is applied, whatever the
// workers had decoded ahead.
func TestRunStopsAtVisitError(t *testing.T) {
	input := fleetInput(t)
	stopErr := errors.New("stop")
	for _, workers := range []int{1, 3} {
		e := fleetEngine(t)
		last := 0
		err := Run(context.Background(), e, replay.NewReader(bytes.NewReader(input)), workers, func(o *Outcome) error {
			last = o.Line
			if o.Line == 1000 {
				return stopErr
			}
			return nil
		})
		require.ErrorIs(t, err, stopErr)
		assert.Equal(t, 1000, last)
		ref := fleetEngine(t)
		r := replay.NewReader(bytes.NewReader(input))
		var rec replay.Record
		for r.Line() < 1000 {
			if r.Next(&rec) == nil {
				_, _ = Apply(context.Background(), ref, &rec)
			}
		}
		assert.Equal(t, ref.Stats(), e.Stats(), "workers=%d", workers)
	}
}

// A read error ends Run after the lines before it, with the error.
func TestRunReadError(t *testing.T) {
	input := fleetInput(t)[:200_000]
	input = input[:bytes.LastIndexByte(input, '\n')+1]
	broken := errors.New("disk on fire")
	for _, workers := range []int{1, 2} {
		var lines int
		err := Run(context.Background(), fleetEngine(t), replay.NewReader(io.MultiReader(bytes.NewReader(input), errReader{broken})), workers,
			func(o *Outcome) error { lines = o.Line; return nil })
		require.ErrorIs(t, err, broken)
		assert.Equal(t, bytes.Count(input, []byte("\n")), lines)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// A live feed is applied line by line as it comes, not held back to fill a
// batch.
func TestRunLiveFeed(t *testing.T) {
	pr, pw := io.Pipe()
	visited := make(chan int, 10)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), fleetEngine(t), replay.NewReader(pr), 2, func(o *Outcome) error {
			visited <- o.Line
			return o.Err
		})
	}()
	for i := 1; i <= 3; i++ {
		_, err := fmt.Fprintf(pw, `{"time":%d,"thingName":"cam-1","type":"disconnect"}`+"\n", 1767225900+i)
		require.NoError(t, err)
		select {
		case line := <-visited:
			assert.Equal(t, i, line)
		case <-time.After(10 * time.Second):
			t.Fatalf("line %d not applied while the feed stays open", i)
		}
	}
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
}

// A cancelled context ends Run with its error.
func TestRunContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 2} {
		err := Run(ctx, fleetEngine(t), replay.NewReader(bytes.NewReader(fleetInput(t))), workers, func(*Outcome) error { return nil })
		require.ErrorIs(t, err, context.Canceled)
	}
}
