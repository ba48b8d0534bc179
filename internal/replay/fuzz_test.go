package replay

import (
	"bytes"
	"errors"
	"testing"
)

// exampleLines are the record forms of the replay input format (DESIGN §5).
var exampleLines = []string{
	`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{"hed":{"rid":1767225900,"v":"1.0"},"met":{"tp":{"pts":[{"pt":443}],"t":1}}}}`,
	`{"time":1767225900,"thingName":"cam-1","reportCbor":"oWNoZWSiY3JpZBoAAAABYXZjMS4w"}`,
	`{"time":1767225900,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120}`,
	`{"time":1767225900.25,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120,"sourceIp":"::ffff:203.0.113.9"}`,
	`{"time":1767225900,"thingName":"cam-1","type":"message-received","topic":"cmd/cam-1","bytes":64}`,
	`{"time":1767225900,"thingName":"cam-1","type":"authorization-failure","topic":"cmd/other"}`,
	`{"time":1767225900,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9"}`,
	`{"time":1767225900,"thingName":"cam-1","type":"disconnect"}`,
}

// FuzzReadRecord checks that no input panics the Reader, and that every record
// it accepts is written by AppendRecord as a line that reads back equal and
// re-encodes to the same bytes.
func FuzzReadRecord(f *testing.F) {
	for _, l := range exampleLines {
		f.Add([]byte(l + "\n"))
	}
	all := bytes.Join(func() [][]byte {
		var b [][]byte
		for _, l := range exampleLines {
			b = append(b, []byte(l))
		}
		return b
	}(), []byte("\n\n"))
	f.Add(all)
	for _, rec := range roundTripRecords(f) {
		f.Add(AppendRecord(nil, &rec))
	}
	for _, name := range []string{"agent-report-python-long.json", "agent-report-embeddedc-reportbuilder-long.json"} {
		f.Add([]byte(`{"time":1700000000,"thingName":"agent","report":` + string(bytes.TrimSpace(testdata(f, name))) + "}"))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		r := NewReader(bytes.NewReader(input))
		for rec, err := range r.All() {
			if err != nil {
				if !errors.Is(err, ErrBadRecord) {
					t.Fatalf("non-record error from an in-memory reader: %v", err)
				}
				continue
			}
			if err := rec.Validate(); err != nil {
				t.Fatalf("accepted record fails Validate: %v\n%+v", err, rec)
			}
			line := AppendRecord(nil, rec)
			var again Record
			if err := NewReader(bytes.NewReader(line)).Next(&again); err != nil {
				t.Fatalf("re-encoded record does not read back: %v\n%s", err, line)
			}
			if !equalRecords(rec, &again) {
				t.Fatalf("round trip changed the record:\n%+v\n%+v", rec, again)
			}
			if line2 := AppendRecord(nil, &again); !bytes.Equal(line, line2) {
				t.Fatalf("re-encoding is not stable:\n%s\n%s", line, line2)
			}
		}
	})
}
