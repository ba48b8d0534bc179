package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/server"
)

// Alerts POSTed to a webhook (here httptest's) as AWS IoT's SNS message,
// with the de-duplication key a consumer drops repeats by.
func ExampleWebhookSink() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println(r.Header.Get(server.DedupeKeyHeader))
		fmt.Println(r.Header.Get(server.TopicArnHeader))
		fmt.Println(string(body))
	}))
	defer hook.Close()

	alerts := server.NewAlerts(&server.WebhookSink{URL: hook.URL})
	eng, err := ruledetect.New(ruledetect.WithAlertSink(alerts))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"sizes",
	 "behaviors":[{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":100}}}],
	 "alertTargets":{"SNS":{"alertTargetArn":"arn:aws:sns:us-east-1:123456789012:alerts","roleArn":"arn:aws:iam::123456789012:role/sns"}}}`))
	if err != nil {
		panic(err)
	}
	if _, err := eng.CreateSecurityProfile(ctx, *p); err != nil {
		panic(err)
	}
	if err := eng.AttachSecurityProfile(ctx, "sizes", eng.Arn("all/things")); err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := eng.IngestMessage(ctx, ruledetect.Message{Thing: "dev-1", Time: at, Direction: ruledetect.Sent, Topic: "t", Bytes: 500}); err != nil {
		panic(err)
	}
	if err := eng.Flush(ctx); err != nil {
		panic(err)
	}
	fmt.Println(alerts.CountsByType())
	// Output:
	// e577612d8548e3329c435283fef531d9:in-alarm:1772366400000
	// arn:aws:sns:us-east-1:123456789012:alerts
	// {"violationEventTime":1772366400000,"thingName":"dev-1","behavior":{"name":"size","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"less-than-equals","value":{"count":100}}},"violationEventType":"in-alarm","metricValue":{"count":500},"violationId":"e577612d8548e3329c435283fef531d9","securityProfileName":"sizes"}
	// map[alarm-cleared:0 alarm-invalidated:0 in-alarm:1]
}
