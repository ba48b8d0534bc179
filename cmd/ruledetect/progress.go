package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// isTerminal reports whether w is a terminal. It is a variable so that tests
// can pretend; the replay shows progress only on a terminal.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressClock is the progress line's clock; a variable so that tests can
// make time pass.
var progressClock = time.Now

// progressInterval is the least time between two progress lines.
const progressInterval = 250 * time.Millisecond

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress draws a one-line progress report (percent done, records per
// second) on a terminal, rewriting it in place with \r at most every
// progressInterval. A nil progress draws nothing.
type progress struct {
	w        io.Writer
	label    string         // "replay", "demo"
	fraction func() float64 // of the work done, 0 to 1
	every    uint           // look at the clock every this many ticks
	start    time.Time
	next     time.Time
	now      func() time.Time
	drawn    bool
	checks   uint
}

// newProgress returns a progress line of a replay: the fraction of its
// input (total bytes) read through in.
func newProgress(w io.Writer, in *countingReader, total int64, now func() time.Time) *progress {
	frac := func() float64 { return float64(in.n.Load()) / float64(total) }
	return newProgressLine(w, "replay", frac, 256, now)
}

func newProgressLine(w io.Writer, label string, fraction func() float64, every uint, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, label: label, fraction: fraction, every: max(every, 1), start: t, next: t.Add(progressInterval), now: now}
}

// tick is called after each record (or batch of them); records is the
// count so far. It looks at the clock only every p.every ticks.
func (p *progress) tick(records int) {
	if p == nil {
		return
	}
	p.checks++
	if p.checks%p.every != 0 {
		return
	}
	t := p.now()
	if t.Before(p.next) {
		return
	}
	p.next = t.Add(progressInterval)
	pct := min(100, max(0, 100*p.fraction()))
	fmt.Fprintf(p.w, "\r%s: %5.1f%%  %d records  %.0f records/s", p.label, pct, records, rate(records, t.Sub(p.start)))
	p.drawn = true
}

// clear erases the progress line, if one was drawn.
func (p *progress) clear() {
	if p == nil || !p.drawn {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
	p.drawn = false
}

// rate returns n per second over d (0 for no time).
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
