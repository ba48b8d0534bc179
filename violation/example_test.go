package violation_test

import (
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

func ExampleLog() {
	log := violation.NewLog(violation.LogOptions{})
	ten := int64(10)
	b := &behavior.Behavior{
		Name:   "Authorization",
		Metric: "aws:num-authorization-failures",
		Criteria: &behavior.BehaviorCriteria{
			ComparisonOperator: "less-than",
			Value:              &behavior.MetricValue{Count: &ten},
		},
	}
	k := violation.Key{Thing: "cam-1", Profile: "Testprofile", Behavior: "Authorization"}
	t := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	n := func(v int64) behavior.MetricValue { return behavior.MetricValue{Count: &v} }

	// The engine's Streak said Alarm, then StillViolating, then Clear.
	raised := log.Raise(k, b, t, n(12), false)
	fmt.Println("raised:", raised.ViolationEventType, raised.ThingName, raised.Behavior.Name)
	log.Violate(k, t.Add(5*time.Minute), n(30))

	out, _ := log.ListActiveViolations(violation.ListActiveViolationsInput{
		Filter: violation.Filter{SecurityProfileName: "Testprofile"},
	})
	for _, a := range out.ActiveViolations {
		fmt.Println("active:", a.ViolationID, a.ThingName, *a.LastViolationValue.Count)
	}

	if cleared, ok := log.Clear(k, t.Add(10*time.Minute), n(2)); ok {
		fmt.Println("cleared:", cleared.ViolationEventType, cleared.ThingName, cleared.Behavior.Name)
	}

	for e, err := range log.Events(violation.ListViolationEventsInput{
		StartTime: behavior.At(t),
		EndTime:   behavior.At(t.Add(time.Hour)),
	}) {
		if err != nil {
			panic(err)
		}
		fmt.Println("event:", e.ViolationEventTime.Format(time.TimeOnly), e.ViolationEventType, *e.MetricValue.Count)
	}
	fmt.Println("still active:", log.NumActive())
	// Output:
	// raised: in-alarm cam-1 Authorization
	// active: bdf72705ea7448138b43d5e22daccea2 cam-1 30
	// cleared: alarm-cleared cam-1 Authorization
	// event: 10:00:00 in-alarm 12
	// event: 10:10:00 alarm-cleared 2
	// still active: 0
}

func ExampleStreak() {
	var s violation.Streak
	const toAlarm, toClear = 2, 2
	for _, violating := range []bool{true, true, true, false, true, false, false} {
		fmt.Print(s.Observe(violating, toAlarm, toClear), " ")
	}
	fmt.Println()
	// Output: Pending Alarm StillViolating Recovering StillViolating Recovering Clear
}

func ExampleID() {
	fmt.Println(violation.ID("cam-1", "Testprofile", "Authorization", time.Unix(1560279000, 0)))
	// Output: 428862c55ab4c0903514059d35f9cddd
}

func ExampleLog_PutVerificationState() {
	log := violation.NewLog(violation.LogOptions{})
	one := int64(1)
	k := violation.Key{Thing: "cam-1", Profile: "p", Behavior: "b"}
	e := log.Raise(k, &behavior.Behavior{Name: "b"}, time.Unix(1767225600, 0), behavior.MetricValue{Count: &one}, false)

	note := "camera firmware update"
	fmt.Println(log.PutVerificationState(e.ViolationID, violation.BenignPositive, &note))
	a, _ := log.Active(k)
	fmt.Println(a.VerificationState, *a.VerificationStateDescription)
	fmt.Println(log.PutVerificationState("0123abcd", violation.TruePositive, nil))
	// Output:
	// <nil>
	// BENIGN_POSITIVE camera firmware update
	// violation: PutVerificationStateOnViolation: violation 0123abcd does not exist
}

func ExampleSNSMessage() {
	log := violation.NewLog(violation.LogOptions{})
	hundred := int64(100)
	b := &behavior.Behavior{Name: "PacketsOut", Metric: "aws:all-packets-out",
		Criteria: &behavior.BehaviorCriteria{ComparisonOperator: "less-than", Value: &behavior.MetricValue{Count: &hundred}}}
	k := violation.Key{Thing: "DefenderWorkshopThing", Profile: "NormalHTTPTraffic", Behavior: "PacketsOut"}
	n := int64(29)
	log.Invalidate(k, time.UnixMilli(1542682416515)) // not in alarm: nothing
	e := log.Raise(k, b, time.UnixMilli(1542682416515), behavior.MetricValue{Count: &n}, false)
	msg, err := violation.SNSMessage(e) // what an AlertSink would publish
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(msg))
	// Output:
	// {"violationEventTime":1542682416515,"thingName":"DefenderWorkshopThing","behavior":{"name":"PacketsOut","metric":"aws:all-packets-out","criteria":{"comparisonOperator":"less-than","value":{"count":100}}},"violationEventType":"in-alarm","metricValue":{"count":29},"violationId":"fec491e26524a4fb1b4635d59e9283a9","securityProfileName":"NormalHTTPTraffic"}
}
