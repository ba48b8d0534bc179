package ruledetect

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reports prepared on several goroutines and applied in order give the same
// events, results and counts as IngestReport of the same reports.
func TestPrepareReportThenApplyIsIngestReport(t *testing.T) {
	agent := rpReadAWS(t, "agent-report-embeddedc-demo-short.json")
	bad := []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":0}]}}}`)
	reports := []rpIngest{
		{agent, JSON, 10 * time.Second},
		{bad, JSON, 20 * time.Second},
		{[]byte(`{"header":`), JSON, 30 * time.Second}, // malformed: rejected
		{agent, JSON, 310 * time.Second},
		{agent, ReportFormat(9), 320 * time.Second}, // no such format
		{agent, JSON, 330 * time.Second},
	}
	type outcome struct {
		res IngestResult
		err string
	}
	run := func(ingest func(e *Engine) []outcome) ([]outcome, []ViolationEvent, Stats) {
		e := rpNewEngine(t)
		out := ingest(e)
		e.Advance(context.Background(), reportsT0.Add(time.Hour))
		return out, rpAllEvents(t, e), e.Stats()
	}
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	wantOut, wantEvents, wantStats := run(func(e *Engine) []outcome {
		var out []outcome
		for _, r := range reports {
			res, err := e.IngestReport(context.Background(), "dev-1", reportsT0.Add(r.at), r.format, r.data)
			out = append(out, outcome{res, errText(err)})
		}
		return out
	})
	gotOut, gotEvents, gotStats := run(func(e *Engine) []outcome {
		prepared := make([]PreparedReport, len(reports))
		var wg sync.WaitGroup
		for i, r := range reports {
			wg.Go(func() {
				_ = e.PrepareReport(&prepared[i], "dev-1", reportsT0.Add(r.at), r.format, r.data)
			})
		}
		wg.Wait()
		var out []outcome
		for i := range prepared {
			res, err := e.ApplyReport(context.Background(), &prepared[i])
			out = append(out, outcome{res, errText(err)})
		}
		return out
	})
	require.NotEmpty(t, wantEvents)
	assert.Equal(t, wantOut, gotOut)
	assert.Equal(t, wantEvents, gotEvents)
	assert.Equal(t, wantStats.Rejected, gotStats.Rejected)
	assert.Equal(t, uint64(2), gotStats.Rejected)
	assert.Equal(t, 1, gotOut[1].res.DroppedCount)
}

// Preparing changes nothing in the engine, not even the rejected count; the
// rejection counts when the report is applied. Applying twice is refused.
func TestPrepareReportLeavesNoTrace(t *testing.T) {
	e := rpNewEngine(t)
	var p PreparedReport
	err := e.PrepareReport(&p, "dev-1", reportsT0, JSON, []byte(`[]`))
	require.ErrorIs(t, err, ErrMalformedReport)
	assert.Zero(t, e.Stats().Rejected)
	_, err2 := e.ApplyReport(context.Background(), &p)
	assert.Equal(t, err, err2)
	assert.Equal(t, uint64(1), e.Stats().Rejected)

	require.NoError(t, e.PrepareReport(&p, "dev-1", reportsT0, JSON, rpReadAWS(t, "agent-report-embeddedc-demo-short.json")))
	assert.Zero(t, e.Stats().Inputs)
	_, err = e.ApplyReport(context.Background(), &p)
	require.NoError(t, err)
	_, err = e.ApplyReport(context.Background(), &p)
	require.ErrorIs(t, err, ErrInvalidRequest)
	var zero PreparedReport
	_, err = e.ApplyReport(context.Background(), &zero)
	require.ErrorIs(t, err, ErrInvalidRequest)
}

// Preparing a stream of reports into one PreparedReport allocates nothing
// once warm (applying allocates what the engine keeps: events, retained
// datapoints).
func TestPrepareReportReuseAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops values at random")
	}
	e := rpNewEngine(t)
	data := rpReadAWS(t, "agent-report-embeddedc-demo-short.json")
	var p PreparedReport
	at := reportsT0
	step := func() {
		at = at.Add(time.Second)
		if err := e.PrepareReport(&p, "dev-1", at, JSON, data); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		step()
	}
	assert.Zero(t, testing.AllocsPerRun(100, step))
}
