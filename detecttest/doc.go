// Package detecttest is a test kit for Rules Detect security profiles: it
// builds an engine from profile JSON in one call, sends inputs at simulated
// times with terse helpers, advances event time, and compares the violation
// events and active violations with the expected ones, printing a diff that
// names each event's behavior, thing and time and the datapoints that
// decided it.
//
// A test reads like the story it checks:
//
//	s := detecttest.New(t, profileJSON)
//	s.Series(map[string]string{"cam-1 message-sent dt/cam-1/t": "3 1 3 3 3"})
//	s.AssertEvents(detecttest.Event{Time: detecttest.T(25 * time.Minute), Type: "in-alarm",
//		Thing: "cam-1", Behavior: "messages-sent", Value: `{"count":3}`})
//
// Simulated time starts at Start, which is a multiple of every evaluation
// period, so "the window ending at Start + 5m" is the first window.
package detecttest
