package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/backtest"
)

// backtestReport is the --report FILE.html of replay, test and demo: the
// recorder of the engine's datapoints and where the report goes.
type backtestReport struct {
	path, title string
	rec         *backtest.Recorder
	last        *backtest.Recording // what write wrote, for benchmarks
}

func newBacktestReport(path, title string) *backtestReport {
	return &backtestReport{path: path, title: title, rec: backtest.NewRecorder()}
}

// option is the engine option that records every judged datapoint.
func (r *backtestReport) option() ruledetect.Option {
	return ruledetect.WithDatapointObserver(r.rec.Observe)
}

// write waits for e to deliver its datapoints and writes the report of
// the run: the profiles' behaviors, its events, its time span (zero times
// for the span of the data).
func (r *backtestReport) write(e *ruledetect.Engine, profiles []*behavior.SecurityProfile, events []ruledetect.ViolationEvent, start, end time.Time) error {
	if e != nil {
		if err := e.Flush(context.Background()); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	rec := r.rec.Recording(r.title, profiles, events)
	rec.Start, rec.End = start, end
	r.last = rec
	f, err := os.Create(r.path)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	err = backtest.Write(w, rec)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// parseProfiles reads the profiles of --profile files, in any form replay
// accepts, for a report.
func parseProfiles(srcs []setupSource) ([]*behavior.SecurityProfile, error) {
	var out []*behavior.SecurityProfile
	for _, s := range srcs {
		ps, err := loadProfileSetup(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", s.name, err)
		}
		for _, spec := range ps.profiles {
			out = append(out, spec.profile)
		}
	}
	return out, nil
}
