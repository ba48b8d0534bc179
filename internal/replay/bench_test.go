package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// benchInput is a mix like a fleet's: one report to five events.
func benchInput(b *testing.B) []byte {
	report := bytes.TrimSpace(testdata(b, "agent-report-embeddedc-reportbuilder-short.json"))
	var in []byte
	for i := range 1000 {
		thing := []byte("cam-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)))
		in = append(in, `{"time":1767225900,"thingName":"`...)
		in = append(in, thing...)
		in = append(in, `","report":`...)
		in = append(in, report...)
		in = append(in, "}\n"...)
		for range 4 {
			in = append(in, `{"time":"2026-01-01T00:05:00Z","thingName":"`...)
			in = append(in, thing...)
			in = append(in, `","type":"message-sent","topic":"dt/`...)
			in = append(in, thing...)
			in = append(in, `/telemetry","bytes":120}`+"\n"...)
		}
		in = append(in, `{"time":1767225900,"thingName":"`...)
		in = append(in, thing...)
		in = append(in, `","type":"connect","sourceIp":"100.64.3.7"}`+"\n"...)
	}
	return in
}

// BenchmarkReadRecord reads one record per op, side by side with the
// obvious alternative, bufio.Scanner + encoding/json into a struct (which
// validates far less: no duplicate or foreign keys, no time or topic rules).
func BenchmarkReadRecord(b *testing.B) {
	in := benchInput(b)
	b.Run("impl=replay", func(b *testing.B) {
		rd := bytes.NewReader(in)
		b.SetBytes(int64(len(in)) / 6000)
		b.ReportAllocs()
		var rec Record
		r := NewReader(rd)
		for b.Loop() {
			if err := r.Next(&rec); err != nil {
				rd.Reset(in)
				r.Reset(rd)
				if err := r.Next(&rec); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("impl=encoding-json", func(b *testing.B) {
		type line struct {
			Time       json.RawMessage `json:"time"`
			ThingName  string          `json:"thingName"`
			Report     json.RawMessage `json:"report"`
			ReportCBOR []byte          `json:"reportCbor"`
			Type       string          `json:"type"`
			Topic      string          `json:"topic"`
			Bytes      int64           `json:"bytes"`
			SourceIP   string          `json:"sourceIp"`
		}
		rd := bytes.NewReader(in)
		b.SetBytes(int64(len(in)) / 6000)
		b.ReportAllocs()
		sc := bufio.NewScanner(rd)
		sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
		for b.Loop() {
			if !sc.Scan() {
				rd.Reset(in)
				sc = bufio.NewScanner(rd)
				sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
				sc.Scan()
			}
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAppendRecord(b *testing.B) {
	recs := roundTripRecords(b)[:7]
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = AppendRecord(buf[:0], &recs[i%len(recs)])
		i++
	}
}
