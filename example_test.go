package ruledetect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

// A thing that sends more messages in five minutes than its profile allows
// is in alarm once the evaluation period closes. Every call that can fail
// is checked.
func Example() {
	if err := run(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// cam-1 chatty 5 d0aeea8e12e98ff0df04036756419258
}

func run() error {
	ctx := context.Background()
	e, err := ruledetect.New()
	if err != nil {
		return err
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams","behaviors":[
	  {"name":"chatty","metric":"aws:num-messages-sent",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}}]}`))
	if err != nil {
		return err
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		return err
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		return err
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		err := e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t.Add(time.Duration(i) * time.Second),
			Direction: ruledetect.Sent, Topic: "dt/cam-1/telemetry", Bytes: 120})
		if err != nil {
			return err
		}
	}
	if err := e.Advance(ctx, t.Add(5*time.Minute)); err != nil { // close the evaluation period
		return err
	}
	for v, err := range e.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			return err
		}
		fmt.Println(v.ThingName, v.Behavior.Name, *v.LastViolationValue.Count, v.ViolationID)
	}
	return nil
}

// An Engine is safe for concurrent use: here four goroutines, as a broker's
// connections would, each feed their own things through handles, in
// parallel, while the main goroutine waits; then the clock moves and the
// listing shows every chatty thing in alarm. Inputs from several goroutines
// need an allowed lateness of at least their skew (WithAllowedLateness);
// these all fall in one evaluation period.
func ExampleEngine_concurrent() {
	ctx := context.Background()
	e, err := ruledetect.New()
	if err != nil {
		log.Fatal(err)
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams","behaviors":[
	  {"name":"chatty","metric":"aws:num-messages-sent",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}}]}`))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		log.Fatal(err)
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		log.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range 4 {
		wg.Go(func() {
			for k := range 25 {
				name := fmt.Sprintf("cam-%03d", g*25+k)
				cam, err := e.Thing(name) // once per connection in a broker
				if err != nil {
					errs[g] = err
					return
				}
				sent := 1 + k%2*4 // every other thing sends 5 messages, the rest 1
				for i := range sent {
					err := cam.IngestMessage(ctx, ruledetect.Message{Time: t.Add(time.Duration(i) * time.Second),
						Direction: ruledetect.Sent, Topic: "dt/" + name + "/telemetry", Bytes: 120})
					if err != nil {
						errs[g] = err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		log.Fatal(err)
	}
	if err := e.Advance(ctx, t.Add(5*time.Minute)); err != nil {
		log.Fatal(err)
	}
	inAlarm := 0
	for _, err := range e.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			log.Fatal(err)
		}
		inAlarm++
	}
	fmt.Println(e.Stats().Inputs, "inputs,", inAlarm, "things in alarm")
	// Output:
	// 292 inputs, 48 things in alarm
}

// Errors carry the operation, the resource and one of the service's error
// kinds, matched with errors.Is.
func ExampleEngine_DescribeSecurityProfile_notFound() {
	e, err := ruledetect.New()
	if err != nil {
		log.Fatal(err)
	}
	_, err = e.DescribeSecurityProfile(context.Background(), "missing")
	fmt.Println(errors.Is(err, ruledetect.ErrResourceNotFound))
	fmt.Println(err)
	// Output:
	// true
	// DescribeSecurityProfile: security profile missing does not exist (resource missing)
}

// A service that restarts keeps its alarms and its windows in progress: it
// writes a snapshot before it stops and restores it, with the same options,
// when it starts again.
func ExampleEngine_WriteSnapshot() {
	ctx := context.Background()
	e, err := ruledetect.New()
	if err != nil {
		log.Fatal(err)
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams","behaviors":[
	  {"name":"chatty","metric":"aws:num-messages-sent",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}}]}`))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		log.Fatal(err)
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		log.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	send := func(e *ruledetect.Engine, at time.Time) {
		err := e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: at, Direction: ruledetect.Sent, Topic: "dt/cam-1/telemetry", Bytes: 120})
		if err != nil {
			log.Fatal(err)
		}
	}
	send(e, t)
	send(e, t.Add(time.Second))

	var saved bytes.Buffer // a file in a real service
	if err := e.WriteSnapshot(ctx, &saved); err != nil {
		log.Fatal(err)
	}
	restarted, err := ruledetect.RestoreSnapshot(ctx, &saved)
	if err != nil {
		log.Fatal(err)
	}
	send(restarted, t.Add(2*time.Second)) // the third message of the same window
	if err := restarted.Advance(ctx, t.Add(5*time.Minute)); err != nil {
		log.Fatal(err)
	}
	for v, err := range restarted.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.ThingName, v.Behavior.Name, *v.LastViolationValue.Count)
	}
	// Output:
	// cam-1 chatty 3
}

// A broker integration resolves the thing once, when the client connects,
// and ingests every message of the connection through the handle.
func ExampleEngine_Thing() {
	ctx := context.Background()
	e, err := ruledetect.New()
	if err != nil {
		log.Fatal(err)
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams","behaviors":[
	  {"name":"big","metric":"aws:message-byte-size",
	   "criteria":{"comparisonOperator":"less-than-equals","value":{"count":1024}}}]}`))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		log.Fatal(err)
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		log.Fatal(err)
	}
	cam, err := e.Thing("cam-1")
	if err != nil {
		log.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, size := range []int64{200, 4096} {
		err := cam.IngestMessage(ctx, ruledetect.Message{Time: t.Add(time.Duration(i) * time.Second),
			Direction: ruledetect.Sent, Topic: "dt/cam-1/video", Bytes: size})
		if err != nil {
			log.Fatal(err)
		}
	}
	for v, err := range e.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.ThingName, v.Behavior.Name, *v.LastViolationValue.Count)
	}
	// Output:
	// cam-1 big 4096
}

// A report larger than the maximum report size is refused before it is
// decoded; one that breaks value rules is applied without the bad values,
// which are counted and (the first 100) listed.
func ExampleWithMaxReportSize() {
	ctx := context.Background()
	e, err := ruledetect.New(ruledetect.WithMaxReportSize(1 << 10))
	if err != nil {
		log.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	big := append([]byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{}}`), bytes.Repeat([]byte(" "), 2000)...)
	_, err = e.IngestReport(ctx, "cam-1", t, ruledetect.JSON, big)
	fmt.Println(errors.Is(err, ruledetect.ErrReportTooLarge), err)

	res, err := e.IngestReport(ctx, "cam-1", t, ruledetect.JSON, []byte(`{"header":{"report_id":1,"version":"1.0"},
	  "metrics":{"listening_tcp_ports":{"ports":[{"port":0},{"port":443},{"port":70000}]}}}`))
	fmt.Println(res.DroppedCount, res.Dropped[0].Path, res.Dropped[0].Reason, err)
	// Output:
	// true IngestReport: report of 2055 bytes is larger than the maximum of 1024 bytes (resource cam-1)
	// 2 metrics.listening_tcp_ports.ports[0].port port 0 outside 1..65535 <nil>
}

// An alert sink receives each alert with its profile's alert targets, from
// the engine's delivery goroutine: it may take its time, fail (and be
// retried), or call the engine back, as this one does to quarantine the
// device. Flush waits for it.
func ExampleWithAlertSink() {
	ctx := context.Background()
	var e *ruledetect.Engine
	sink := violation.AlertFunc(func(ctx context.Context, a violation.Alert) error {
		pub, ok, err := a.SNS()
		if err != nil || !ok {
			return err
		}
		fmt.Println(a.ViolationEventType, a.ThingName, "to", pub.TopicArn)
		return e.SetThingGroups(ctx, a.ThingName, []string{"quarantine"})
	})
	e, err := ruledetect.New(ruledetect.WithAlertSink(sink))
	if err != nil {
		fmt.Println(err)
		return
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams",
	  "alertTargets":{"SNS":{"alertTargetArn":"arn:aws:sns:us-east-1:123456789012:alerts","roleArn":"arn:aws:iam::123456789012:role/sns"}},
	  "behaviors":[{"name":"chatty","metric":"aws:num-messages-sent",
	   "criteria":{"comparisonOperator":"less-than","value":{"count":3},"durationSeconds":300}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		fmt.Println(err)
		return
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t.Add(time.Duration(i) * time.Second),
			Direction: ruledetect.Sent, Topic: "dt/cam-1/telemetry", Bytes: 120}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := e.Advance(ctx, t.Add(5*time.Minute)); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Flush(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// in-alarm cam-1 to arn:aws:sns:us-east-1:123456789012:alerts
}

// With metric retention, ListMetricValues lists what a thing reported (or,
// for a cloud-side count, its count per evaluation period), as the service
// does.
func ExampleEngine_ListMetricValues() {
	ctx := context.Background()
	e, err := ruledetect.New(ruledetect.WithMetricRetention(ruledetect.MetricRetention{Duration: 24 * time.Hour}))
	if err != nil {
		fmt.Println(err)
		return
	}
	profile, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"cams",
	  "behaviors":[{"name":"ports","metric":"aws:listening-tcp-ports",
	   "criteria":{"comparisonOperator":"in-port-set","value":{"ports":[443]}}}],
	  "additionalMetricsToRetainV2":[{"metric":"aws:num-messages-sent"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := e.CreateSecurityProfile(ctx, *profile); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.AttachSecurityProfile(ctx, "cams", e.Arn("all/things")); err != nil {
		fmt.Println(err)
		return
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	report := []byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":22},{"port":443}]}}}`)
	if _, err := e.IngestReport(ctx, "cam-1", t.Add(time.Minute), ruledetect.JSON, report); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.IngestMessage(ctx, ruledetect.Message{Thing: "cam-1", Time: t.Add(2 * time.Minute), Direction: ruledetect.Sent, Topic: "dt/x", Bytes: 1}); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Advance(ctx, t.Add(5*time.Minute)); err != nil {
		fmt.Println(err)
		return
	}
	for _, metric := range []string{"aws:listening-tcp-ports", "aws:num-messages-sent"} {
		in := ruledetect.ListMetricValuesInput{ThingName: "cam-1", MetricName: metric,
			StartTime: behavior.At(t), EndTime: behavior.At(t.Add(time.Hour))}
		for d, err := range e.MetricValues(ctx, in) {
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println(metric, d.Timestamp.Format(time.TimeOnly), d.Value.Ports, d.Value.Count != nil && *d.Value.Count == 1)
		}
	}
	// Output:
	// aws:listening-tcp-ports 00:01:00 [22 443] false
	// aws:num-messages-sent 00:05:00 [] true
}
