package fleet

import (
	"testing"
	"time"
)

// FuzzNew checks that no Config panics New or Records and that every record
// generated is one the replay reader accepts.
func FuzzNew(f *testing.F) {
	f.Add(5, int64(2*time.Hour), int64(300*time.Second), uint64(0), 5)
	f.Add(1, int64(time.Minute), int64(0), uint64(42), 10)
	f.Add(0, int64(-1), int64(-1), uint64(1<<63), -1)
	f.Fuzz(func(t *testing.T, things int, duration, interval int64, seed uint64, compromised int) {
		// Keep each run small: zero and negative sizes would mean the
		// 5,000-thing, 24-hour default.
		cfg := Config{
			Things:         1 + int(uint(things)%20),
			Duration:       time.Minute + time.Duration(uint64(duration)%uint64(6*time.Hour)),
			ReportInterval: time.Duration(interval),
			Seed:           seed,
			Compromised:    compromised,
		}
		fl := New(cfg)
		n := 0
		for r := range fl.Records() {
			if err := r.Validate(); err != nil {
				t.Fatalf("record %d: %v", n, err)
			}
			n++
		}
		for _, in := range fl.Compromised() {
			if in.Start.Before(fl.Config().Start) || !in.Start.Before(fl.Config().Start.Add(fl.Config().Duration)) {
				t.Fatalf("incident outside the run: %+v", in)
			}
		}
	})
}
