package durable_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/durable"
)

// A service opens the log (which restores the Engine from the newest
// snapshot), builds its front ends on the Engine with the log's Commit and
// Ready, recovers, and then sends every state change through the log.
func Example() {
	dir, _ := os.MkdirTemp("", "ruledetect-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		l, err := durable.Open(ctx, durable.Config{Dir: dir})
		if err != nil {
			panic(err)
		}
		srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"AKID": "secret"},
			Commit: l.Commit, Ready: l.Ready})
		if err != nil {
			panic(err)
		}
		if err := l.Recover(ctx, srv.Apply); err != nil {
			panic(err)
		}
		if run == 1 {
			out, err := l.Commit(ctx, server.Call{Operation: "CreateDimension", PathValues: map[string]string{"name": "auth"},
				Body: []byte(`{"type":"TOPIC_FILTER","stringValues":["device/+/auth"]}`)})
			fmt.Println(out.(ruledetect.CreateDimensionOutput).Arn, err)
			err = l.IngestMessage(ctx, ruledetect.Message{Thing: "sensor-1", Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
				Direction: ruledetect.Sent, Topic: "device/sensor-1/auth", Bytes: 12})
			fmt.Println(err)
		} else {
			d, err := l.Engine().DescribeDimension(ctx, "auth")
			fmt.Println("after a restart:", d.Name, d.StringValues, err)
		}
		l.Close(ctx)
	}
	// Output:
	// arn:aws:iot:us-east-1:123456789012:dimension/auth <nil>
	// <nil>
	// after a restart: auth [device/+/auth] <nil>
}
