package detecttest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/detecttest"
)

const msgRate = `{"securityProfileName":"msg-rate","behaviors":[{"name":"messages-sent",
  "metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than-equals",
  "value":{"count":2},"durationSeconds":300,
  "consecutiveDatapointsToAlarm":3,"consecutiveDatapointsToClear":2}}]}`

// A series gives one count per five-minute period: the third violation in a
// row raises the alarm, two compliant periods in a row clear it.
func Example() {
	s, err := detecttest.Build(msgRate)
	if err != nil {
		panic(err)
	}
	s.Series(map[string]string{"cam-1 message-sent dt/cam-1/t": "3 1 3 3 3 0 4 1 2"})
	for _, e := range s.Events() {
		fmt.Println(e)
	}
	// Output:
	// 2026-01-01T00:25:00Z in-alarm cam-1 msg-rate/messages-sent {"count":3}
	// 2026-01-01T00:45:00Z alarm-cleared cam-1 msg-rate/messages-sent {"count":2}
}

// Single inputs go at the simulated time At sets; Advance closes periods.
func ExampleSim_At() {
	s, err := detecttest.Build(`{"securityProfileName":"auth","behaviors":[{"name":"auth-failures",
	  "metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than",
	  "value":{"count":2},"durationSeconds":300}}]}`)
	if err != nil {
		panic(err)
	}
	s.At(10*time.Second).AuthFailure("cam-1", "cmd/other")
	s.At(20*time.Second).AuthFailure("cam-1", "cmd/other")
	s.Advance(5 * time.Minute)
	for _, a := range s.ActiveViolations() {
		fmt.Println(a)
	}
	// Output:
	// cam-1 auth/auth-failures since 2026-01-01T00:05:00Z last 2026-01-01T00:05:00Z {"count":2}
}

// A wrong expectation gives a diff (-want +got) and the datapoints that
// decided the events in question.
func ExampleSim_DiffEvents() {
	s, err := detecttest.Build(msgRate)
	if err != nil {
		panic(err)
	}
	s.Series(map[string]string{"cam-1 message-sent dt/cam-1/t": "3 3 3"})
	fmt.Println(s.DiffEvents() != "")
	fmt.Printf("%q\n", s.DiffEvents(detecttest.Event{Time: detecttest.T(15 * time.Minute), Type: "in-alarm",
		Thing: "cam-1", Behavior: "messages-sent", Value: `{"count":3}`}))
	// Output:
	// true
	// ""
}

// In a test, New fails the test on any error and AssertEvents reports the
// diff.
func TestExampleInATest(t *testing.T) {
	s := detecttest.New(t, msgRate)
	s.Series(map[string]string{"cam-1 message-sent dt/cam-1/t": "0+1x5"}) // 0 1 2 3 4 5
	s.AssertEvents(detecttest.Event{Time: detecttest.T(30 * time.Minute), Type: "in-alarm",
		Thing: "cam-1", Behavior: "messages-sent", Value: `{"count":5}`})
}

// promtool's notation: a+bxn is n+1 values from a in steps of b, _ a
// period without a value.
func ExampleParseSeries() {
	samples, err := detecttest.ParseSeries("0+10x3 _ 5x1")
	fmt.Println(err)
	for _, s := range samples {
		if s.Missing {
			fmt.Print("_ ")
			continue
		}
		fmt.Print(s.Value, " ")
	}
	fmt.Println()
	// Output:
	// <nil>
	// 0 10 20 30 _ 5 5
}

// A series of counts becomes that many inputs in each period, spread
// inside it.
func ExampleSeriesInputs() {
	ins, periods, err := detecttest.SeriesInputs("cam-1 authorization-failure cmd/other", "2 0 1", detecttest.Start, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(periods, "periods")
	for _, in := range ins {
		fmt.Println(in.Time.Format(time.TimeOnly), in.Thing, in.Kind, in.Topic)
	}
	// Output:
	// 3 periods
	// 00:01:40 cam-1 authorization-failure cmd/other
	// 00:03:20 cam-1 authorization-failure cmd/other
	// 00:12:30 cam-1 authorization-failure cmd/other
}
