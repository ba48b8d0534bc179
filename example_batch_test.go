package ruledetect_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
)

// A broker integration that reads messages from its queue in batches
// hands each batch to IngestMessages. A batch stops at the first message
// the engine refuses; the consumer logs it, skips it and goes on with the
// rest, and stops on any other error.
func ExampleEngine_IngestMessages() {
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

	// consume applies one batch, skipping the messages the engine refuses.
	consume := func(batch []ruledetect.Message) error {
		for at := 0; at < len(batch); {
			n, err := e.IngestMessages(ctx, batch[at:])
			at += n
			switch {
			case errors.Is(err, ruledetect.ErrLateInput), errors.Is(err, ruledetect.ErrInvalidRequest):
				fmt.Printf("skipped message %d: %v\n", at, err)
				at++
			case err != nil:
				return err
			}
		}
		return nil
	}

	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := func(thing string, sec int, bytes int64) ruledetect.Message {
		return ruledetect.Message{Thing: thing, Time: t.Add(time.Duration(sec) * time.Second),
			Direction: ruledetect.Sent, Topic: "dt/" + thing + "/telemetry", Bytes: bytes}
	}
	batches := [][]ruledetect.Message{
		{msg("cam-1", 1, 120), msg("cam-2", 2, 80), msg("cam-1", 3, 120), msg("cam-1", 4, 120)},
		// cam-2's message from 20 s is held up past the period's close, and
		// cam-3 reports a negative size.
		{msg("cam-1", 301, 120), msg("cam-2", 20, 80), msg("cam-3", 302, -1), msg("cam-2", 303, 80)},
	}
	for _, batch := range batches {
		if err := consume(batch); err != nil {
			log.Fatal(err)
		}
	}
	for v, err := range e.ActiveViolations(ctx, ruledetect.ListActiveViolationsInput{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.ThingName, v.Behavior.Name, *v.LastViolationValue.Count)
	}
	s := e.Stats()
	fmt.Println(s.Inputs, "applied,", s.Late, "late,", s.Rejected, "rejected")
	// Output:
	// skipped message 1: IngestMessage: input at 2026-01-01T00:00:20Z is older than the newest closed evaluation period, ending 2026-01-01T00:05:00Z (resource cam-2)
	// skipped message 2: IngestMessage: bytes -1 must not be negative (resource cam-3)
	// cam-1 chatty 3
	// 6 applied, 1 late, 1 rejected
}
