package replay_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/internal/replay"
)

func ExampleReader() {
	input := `{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{"hed":{"rid":1767225900,"v":"1.0"},"met":{}}}

{"time":1767225960,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120}
{"time":1767225960,"thingName":"cam-1","type":"connect"}
`
	r := replay.NewReader(strings.NewReader(input))
	for rec, err := range r.All() {
		if err != nil {
			fmt.Println(err) // a bad line; the reader goes on
			continue
		}
		fmt.Println(r.Line(), rec.Time.Format(time.RFC3339), rec.ThingName, rec.Kind, rec.ReportFormat, rec.Topic, rec.Bytes)
	}
	// Output:
	// 1 2026-01-01T00:05:00Z cam-1 report json  0
	// 3 2026-01-01T00:06:00Z cam-1 message-sent Format(0) dt/cam-1/telemetry 120
	// replay: line 4: field "sourceIp": required for type "connect"
}

func ExampleAppendRecord() {
	rec := replay.Record{
		Time:      time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC),
		ThingName: "cam-1",
		Kind:      replay.MessageReceived,
		Topic:     "cmd/cam-1",
		Bytes:     64,
	}
	if err := rec.Validate(); err != nil {
		panic(err)
	}
	os.Stdout.Write(replay.AppendRecord(nil, &rec))
	// Output:
	// {"time":"2026-01-01T00:05:00Z","thingName":"cam-1","type":"message-received","topic":"cmd/cam-1","bytes":64}
}

// Lines split by one Reader can be parsed elsewhere, each goroutine with its
// own Parser. The report is handed on as written, for the engine to decode.
func ExampleParser() {
	r := replay.NewReader(strings.NewReader(`{"time":1767225900,"thingName":"cam-1","report":{"hed":{"rid":1,"v":"1.0"},"met":{}}}
{"time":1767225900,"thingName":"cam-1","report":{"hed":}}
{"time":1767225900,"thingName":"cam-1","type":"disconnect","topic":"t"}
`))
	var p replay.Parser
	var rec replay.Record
	for {
		line, err := r.AppendLine(nil)
		if err == io.EOF {
			break
		}
		if err := p.Parse(line, &rec); err != nil {
			fmt.Println(r.Line(), err)
			continue
		}
		fmt.Println(r.Line(), rec.Kind, string(rec.Report))
	}
	// Output:
	// 1 report {"hed":{"rid":1,"v":"1.0"},"met":{}}
	// 2 report {"hed":}
	// 3 replay: field "topic": not allowed for type "disconnect"
}
