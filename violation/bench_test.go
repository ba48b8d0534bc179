package violation

import (
	"fmt"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
)

// BenchmarkViolate is the log's share of the hot path: a violating
// datapoint of a thing already in alarm.
func BenchmarkViolate(b *testing.B) {
	l := NewLog(LogOptions{})
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = Key{fmt.Sprint("thing-", i), "profile", "behavior"}
		l.Raise(keys[i], staticBehavior("behavior"), t0, count(1), false)
	}
	v := behavior.MetricValue{Ports: []int64{22, 80, 443}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Violate(keys[i%len(keys)], t0, v)
	}
}

// BenchmarkRaiseClear is one whole alarm: raise, then clear.
func BenchmarkRaiseClear(b *testing.B) {
	l := NewLog(LogOptions{Retention: time.Hour})
	beh := staticBehavior("behavior")
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = Key{fmt.Sprint("thing-", i), "profile", "behavior"}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := keys[i%len(keys)]
		t := t0.Add(time.Duration(i) * time.Second)
		l.Raise(k, beh, t, count(12), false)
		l.Clear(k, t, count(3))
		if i%10000 == 0 {
			l.Prune(t)
		}
	}
}

func listFixture(b *testing.B) *Log {
	l := NewLog(LogOptions{})
	for i := range 100_000 {
		k := Key{fmt.Sprint("thing-", i%5000), fmt.Sprint("p", i%3), "behavior"}
		if _, ok := l.Active(k); ok {
			l.Clear(k, at(i/10), count(0))
		} else {
			l.Raise(k, staticBehavior("behavior"), at(i/10), count(1), false)
		}
	}
	return l
}

// BenchmarkListViolationEvents pages through 100,000 events, 250 at a time.
func BenchmarkListViolationEvents(b *testing.B) {
	l := listFixture(b)
	in := everything()
	in.MaxResults = 250
	b.ReportAllocs()
	for b.Loop() {
		out, err := l.ListViolationEvents(in)
		if err != nil {
			b.Fatal(err)
		}
		in.NextToken = out.NextToken
	}
}

// BenchmarkListViolationEventsFiltered finds one thing's events among
// 100,000 (a scan: there is no per-thing index).
func BenchmarkListViolationEventsFiltered(b *testing.B) {
	l := listFixture(b)
	in := everything()
	in.ThingName = "thing-42"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.ListViolationEvents(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListActiveViolations(b *testing.B) {
	l := listFixture(b)
	in := ListActiveViolationsInput{MaxResults: 250}
	b.ReportAllocs()
	for b.Loop() {
		out, err := l.ListActiveViolations(in)
		if err != nil {
			b.Fatal(err)
		}
		in.NextToken = out.NextToken
	}
}

func BenchmarkMarshalBinary(b *testing.B) {
	l := listFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}
