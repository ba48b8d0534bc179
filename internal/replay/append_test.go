package replay

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func roundTripRecords(t testing.TB) []Record {
	t0 := ts("2026-01-01T00:05:00Z")
	return []Record{
		{Time: t0, ThingName: "cam-1", Kind: Report, Report: bytes.TrimSpace(testdata(t, "agent-report-embeddedc-demo-short.json")), ReportFormat: JSON},
		{Time: t0.Add(1), ThingName: "cam-1", Kind: Report, Report: testdata(t, "agent-report-python-short.cbor"), ReportFormat: CBOR},
		{Time: t0.Add(-time.Hour), ThingName: `quote"and\slash/é`, Kind: MessageSent, Topic: "dt/cam-1/telemetry", Bytes: 120},
		{Time: t0, ThingName: "cam-1", Kind: MessageSent, Topic: "t", SourceIP: addr("::ffff:192.0.2.1")},
		{Time: t0, ThingName: "cam-1", Kind: MessageReceived, Topic: "cmd/cam-1", Bytes: 1<<63 - 1},
		{Time: t0, ThingName: "cam-1", Kind: AuthorizationFailure, Topic: "$aws/things/x/shadow/get"},
		{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("2001:db8::9")},
		{Time: time.Unix(maxUnix, 999999999).UTC(), ThingName: "z", Kind: Disconnect},
		{Time: time.Unix(minUnix, 0).UTC(), ThingName: "z", Kind: Disconnect},
	}
}

func TestAppendRecordRoundTrip(t *testing.T) {
	recs := roundTripRecords(t)
	var buf []byte
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "record %d", i)
		buf = AppendRecord(buf, &recs[i])
	}
	assert.Equal(t, len(recs), bytes.Count(buf, []byte("\n")), "one line per record")
	got, errs := readAll(t, string(buf))
	require.Empty(t, errs)
	require.Len(t, got, len(recs))
	for i := range recs {
		assert.True(t, equalRecords(&recs[i], &got[i]), "record %d: got %+v, want %+v", i, got[i], recs[i])
	}
}

func TestAppendRecordFormat(t *testing.T) {
	t0 := ts("2026-01-01T00:05:00Z")
	tests := []struct {
		rec  Record
		want string
	}{
		{Record{Time: t0, ThingName: "cam-1", Kind: Report, Report: []byte("{\"a\":\n1}"), ReportFormat: JSON},
			`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{"a": 1}}`},
		{Record{Time: t0, ThingName: "cam-1", Kind: Report, Report: []byte{0xa1, 0x61, 0x61, 0x01}, ReportFormat: CBOR},
			`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","reportCbor":"oWFhAQ=="}`},
		{Record{Time: t0.Add(5e8), ThingName: "cam-1", Kind: MessageSent, Topic: "dt/cam-1/telemetry", Bytes: 120, SourceIP: addr("203.0.113.9")},
			`{"time":"2026-01-01T00:05:00.5Z","thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120,"sourceIp":"203.0.113.9"}`},
		{Record{Time: t0, ThingName: "cam-1", Kind: AuthorizationFailure, Topic: "cmd/other"},
			`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","type":"authorization-failure","topic":"cmd/other"}`},
		{Record{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("203.0.113.9")},
			`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9"}`},
		{Record{Time: t0, ThingName: "cam-1", Kind: Disconnect},
			`{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","type":"disconnect"}`},
	}
	for _, tt := range tests {
		t.Run(tt.rec.Kind.String(), func(t *testing.T) {
			got := AppendRecord([]byte("prefix"), &tt.rec)
			assert.Equal(t, "prefix"+tt.want+"\n", string(got))
		})
	}
}

func TestValidate(t *testing.T) {
	t0 := ts("2026-01-01T00:05:00Z")
	tests := []struct {
		name  string
		rec   Record
		field string
		msg   string
	}{
		{"ok", Record{Time: t0, ThingName: "a", Kind: Disconnect}, "", ""},
		{"year 10000", Record{Time: time.Unix(maxUnix+1, 0), ThingName: "a", Kind: Disconnect}, "time", "outside"},
		{"empty name", Record{Time: t0, Kind: Disconnect}, "thingName", "empty"},
		{"bad utf-8 name", Record{Time: t0, ThingName: "a\xff", Kind: Disconnect}, "thingName", "UTF-8"},
		{"DEL in name", Record{Time: t0, ThingName: "a\x7f", Kind: Disconnect}, "thingName", "control"},
		{"zero kind", Record{Time: t0, ThingName: "a"}, "type", "invalid kind Kind(0)"},
		{"bad json report", Record{Time: t0, ThingName: "a", Kind: Report, Report: []byte(`{"a":`), ReportFormat: JSON}, "report", "not valid JSON"},
		{"array report", Record{Time: t0, ThingName: "a", Kind: Report, Report: []byte(`[]`), ReportFormat: JSON}, "report", "JSON object"},
		{"cbor report not a map", Record{Time: t0, ThingName: "a", Kind: Report, Report: []byte{0x81, 0x01}, ReportFormat: CBOR}, "reportCbor", "CBOR report must be a map"},
		{"json report with trailing data", Record{Time: t0, ThingName: "a", Kind: Report, Report: []byte(`{} {}`), ReportFormat: JSON}, "report", "not valid JSON"},
		{"no format", Record{Time: t0, ThingName: "a", Kind: Report, Report: []byte(`{}`)}, "report", "format"},
		{"report on event", Record{Time: t0, ThingName: "a", Kind: Disconnect, Report: []byte(`{}`)}, "report", "disconnect"},
		{"topic on connect", Record{Time: t0, ThingName: "a", Kind: Connect, Topic: "t", SourceIP: addr("192.0.2.1")}, "topic", "not allowed"},
		{"connect without ip", Record{Time: t0, ThingName: "a", Kind: Connect}, "sourceIp", "required"},
		{"ip on received", Record{Time: t0, ThingName: "a", Kind: MessageReceived, Topic: "t", SourceIP: addr("192.0.2.1")}, "sourceIp", "not allowed"},
		{"bytes on auth failure", Record{Time: t0, ThingName: "a", Kind: AuthorizationFailure, Topic: "t", Bytes: 3}, "bytes", "not allowed"},
		{"negative bytes", Record{Time: t0, ThingName: "a", Kind: MessageSent, Topic: "t", Bytes: -3}, "bytes", "non-negative"},
		{"wildcard topic", Record{Time: t0, ThingName: "a", Kind: MessageSent, Topic: "a/#"}, "topic", "wildcard"},
		{"zoned ip", Record{Time: t0, ThingName: "a", Kind: Connect, SourceIP: addr("fe80::1%eth0")}, "sourceIp", "zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.Validate()
			if tt.msg == "" {
				require.NoError(t, err)
				return
			}
			var re *RecordError
			require.ErrorAs(t, err, &re)
			require.ErrorIs(t, err, ErrBadRecord)
			assert.Equal(t, 0, re.Line)
			assert.Equal(t, tt.field, re.Field)
			assert.Contains(t, re.Msg, tt.msg)
		})
	}
}

func TestParseUnixSeconds(t *testing.T) {
	tests := []struct {
		lit       string
		sec, nsec int64
		ok        bool
	}{
		{"0", 0, 0, true},
		{"-0", 0, 0, true},
		{"1767225900", 1767225900, 0, true},
		{"1767225900.5", 1767225900, 5e8, true},
		{"1767225900.1234567899", 1767225900, 123456789, true},
		{"1.7672259e9", 1767225900, 0, true},
		{"17672259000e-1", 1767225900, 0, true},
		{"1e-9", 0, 1, true},
		{"1e-10", 0, 0, true},
		{"0.000000001", 0, 1, true},
		{"-1.5", -2, 5e8, true},
		{"253402300799.999999999", 253402300799, 999999999, true},
		{"253402300800", 0, 0, false},
		{"-62167219200", -62167219200, 0, true},
		{"-62167219200.1", 0, 0, false},
		{"1e13", 0, 0, false},
		{"1E+999999999999999999", 0, 0, false},
		{"5e-999999999999", 0, 0, true},
		{"0000", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.lit, func(t *testing.T) {
			got, ok := parseUnixSeconds([]byte(tt.lit))
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, time.Unix(tt.sec, tt.nsec).UTC(), got)
			}
		})
	}
}

func TestKindAndFormatStrings(t *testing.T) {
	want := []string{"Kind(0)", "report", "message-sent", "message-received", "authorization-failure", "connect", "disconnect", "Kind(7)"}
	for k, s := range want {
		assert.Equal(t, s, Kind(k).String())
	}
	assert.Equal(t, "json", JSON.String())
	assert.Equal(t, "cbor", CBOR.String())
	assert.Equal(t, "Format(0)", Format(0).String())
	assert.True(t, strings.HasPrefix(Format(9).String(), "Format("))
}
