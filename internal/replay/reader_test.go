package replay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadGoodLines(t *testing.T) {
	t0 := ts("2026-01-01T00:05:00Z")
	tests := []struct {
		name string
		line string
		want Record
	}{
		{"json report", `{"time":"2026-01-01T00:05:00Z","thingName":"cam-1","report":{"hed":{"rid":1,"v":"1.0"}}}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Report, Report: []byte(`{"hed":{"rid":1,"v":"1.0"}}`), ReportFormat: JSON}},
		{"json report kept as written", `{ "report" : { "a" : [1, 2] , "a":3 } , "thingName":"cam-1","time":1767225900}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Report, Report: []byte(`{ "a" : [1, 2] , "a":3 }`), ReportFormat: JSON}},
		{"cbor report", `{"time":1767225900,"thingName":"cam-1","reportCbor":"oWFhAQ=="}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Report, Report: []byte{0xa1, 0x61, 0x61, 0x01}, ReportFormat: CBOR}},
		{"cbor base64 with escaped slash", `{"time":1767225900,"thingName":"c","reportCbor":"oUH\/AQ=="}`,
			Record{Time: t0, ThingName: "c", Kind: Report, Report: []byte{0xa1, 0x41, 0xff, 0x01}, ReportFormat: CBOR}},
		{"message sent", `{"time":1767225900,"thingName":"cam-1","type":"message-sent","topic":"dt/cam-1/telemetry","bytes":120}`,
			Record{Time: t0, ThingName: "cam-1", Kind: MessageSent, Topic: "dt/cam-1/telemetry", Bytes: 120}},
		{"message sent with source ip", `{"time":1767225900,"thingName":"cam-1","type":"message-sent","topic":"t","bytes":0,"sourceIp":"2001:db8::1"}`,
			Record{Time: t0, ThingName: "cam-1", Kind: MessageSent, Topic: "t", SourceIP: addr("2001:db8::1")}},
		{"message received", `{"time":1767225900,"thingName":"cam-1","type":"message-received","topic":"cmd/cam-1","bytes":64}`,
			Record{Time: t0, ThingName: "cam-1", Kind: MessageReceived, Topic: "cmd/cam-1", Bytes: 64}},
		{"authorization failure", `{"time":1767225900,"thingName":"cam-1","type":"authorization-failure","topic":"cmd/other"}`,
			Record{Time: t0, ThingName: "cam-1", Kind: AuthorizationFailure, Topic: "cmd/other"}},
		{"connect", `{"time":1767225900,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9"}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("203.0.113.9")}},
		{"failed connect", `{"time":1767225900,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9","success":false}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("203.0.113.9"), Failed: true}},
		{"successful connect said", `{"time":1767225900,"thingName":"cam-1","type":"connect","sourceIp":"203.0.113.9","success":true}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("203.0.113.9")}},
		{"connect ipv4-mapped kept", `{"time":1767225900,"thingName":"cam-1","type":"connect","sourceIp":"::ffff:203.0.113.9"}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Connect, SourceIP: addr("::ffff:203.0.113.9")}},
		{"disconnect", `{"time":1767225900,"thingName":"cam-1","type":"disconnect"}`,
			Record{Time: t0, ThingName: "cam-1", Kind: Disconnect}},
		{"time with offset to UTC", `{"time":"2026-01-01T01:05:00+01:00","thingName":"a","type":"disconnect"}`,
			Record{Time: t0, ThingName: "a", Kind: Disconnect}},
		{"time with nanoseconds", `{"time":"2026-01-01T00:05:00.123456789Z","thingName":"a","type":"disconnect"}`,
			Record{Time: t0.Add(123456789), ThingName: "a", Kind: Disconnect}},
		{"fractional unix seconds exact", `{"time":1767225900.000000001,"thingName":"a","type":"disconnect"}`,
			Record{Time: t0.Add(1), ThingName: "a", Kind: Disconnect}},
		{"exponent unix seconds", `{"time":1.7672259005E9,"thingName":"a","type":"disconnect"}`,
			Record{Time: t0.Add(500 * time.Millisecond), ThingName: "a", Kind: Disconnect}},
		{"negative unix seconds", `{"time":-1.5,"thingName":"a","type":"disconnect"}`,
			Record{Time: time.Unix(-2, 5e8).UTC(), ThingName: "a", Kind: Disconnect}},
		{"zero with huge exponent", `{"time":0e99999999999,"thingName":"a","type":"disconnect"}`,
			Record{Time: time.Unix(0, 0).UTC(), ThingName: "a", Kind: Disconnect}},
		{"escaped key and unicode name", `{"\u0074ime":1767225900,"thingName":"caméra-\u00e9","type":"disconnect"}`,
			Record{Time: t0, ThingName: "caméra-é", Kind: Disconnect}},
		{"128-byte thing name", `{"time":1767225900,"thingName":"` + strings.Repeat("x", 128) + `","type":"disconnect"}`,
			Record{Time: t0, ThingName: strings.Repeat("x", 128), Kind: Disconnect}},
		{"crlf line", "{\"time\":1767225900,\"thingName\":\"a\",\"type\":\"disconnect\"}\r\n",
			Record{Time: t0, ThingName: "a", Kind: Disconnect}},
		{"$aws topic", `{"time":1767225900,"thingName":"a","type":"authorization-failure","topic":"$aws/things/b/shadow/update"}`,
			Record{Time: t0, ThingName: "a", Kind: AuthorizationFailure, Topic: "$aws/things/b/shadow/update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readOne(t, tt.line)
			require.NoError(t, err)
			assert.True(t, got.Time.Equal(tt.want.Time), "time %v, want %v", got.Time, tt.want.Time)
			assert.Equal(t, time.UTC, got.Time.Location())
			assert.Equal(t, tt.want.ThingName, got.ThingName)
			assert.Equal(t, tt.want.Kind, got.Kind)
			assert.Equal(t, string(tt.want.Report), string(got.Report))
			assert.Equal(t, tt.want.ReportFormat, got.ReportFormat)
			assert.Equal(t, tt.want.Topic, got.Topic)
			assert.Equal(t, tt.want.Bytes, got.Bytes)
			assert.Equal(t, tt.want.SourceIP, got.SourceIP)
		})
	}
}

func TestReadBadLines(t *testing.T) {
	const tm = `"time":1767225900,`
	const th = `"thingName":"a",`
	tests := []struct {
		name  string
		line  string
		field string
		msg   string
	}{
		{"not json", `hello`, "", "invalid JSON at column 1"},
		{"truncated", `{"time":1767225900`, "", "invalid JSON"},
		{"array", `[1]`, "", "must be a JSON object"},
		{"two values", `{"time":1,"thingName":"a","type":"disconnect"} {}`, "", "more than one JSON value"},
		{"trailing comma", `{` + tm + th + `"type":"disconnect",}`, "", "invalid JSON at column"},
		{"invalid utf-8", "{" + tm + `"thingName":"a` + "\xff" + `","type":"disconnect"}`, "", "invalid JSON"},
		{"unknown key", `{` + tm + th + `"type":"disconnect","extra":1}`, "extra", "unknown key"},
		{"key case matters", `{` + tm + th + `"Type":"disconnect"}`, "Type", "unknown key"},
		{"duplicate key", `{` + tm + th + `"type":"disconnect","thingName":"b"}`, "thingName", "duplicate key"},
		{"duplicate escaped key", `{` + tm + th + `"type":"disconnect","\u0074ype":"disconnect"}`, "type", "duplicate key"},
		{"no kind", `{` + tm + `"thingName":"a"}`, "type", "one of report, reportCbor or type is required"},
		{"report and type", `{` + tm + th + `"report":{},"type":"disconnect"}`, "type", "only one of"},
		{"report and cbor", `{` + tm + th + `"reportCbor":"oA==","report":{}}`, "reportCbor", "only one of"},
		{"missing time", `{` + th + `"type":"disconnect"}`, "time", "required"},
		{"missing thing", `{` + tm + `"type":"disconnect"}`, "thingName", "required"},
		{"time bad string", `{"time":"yesterday",` + th + `"type":"disconnect"}`, "time", "not an RFC 3339 time"},
		{"time without zone", `{"time":"2026-01-01T00:05:00",` + th + `"type":"disconnect"}`, "time", "not an RFC 3339 time"},
		{"time NaN", `{"time":"NaN",` + th + `"type":"disconnect"}`, "time", "not an RFC 3339 time"},
		{"time huge", `{"time":1e300,` + th + `"type":"disconnect"}`, "time", "outside the years"},
		{"time year 10000", `{"time":253402300800,` + th + `"type":"disconnect"}`, "time", "outside the years"},
		{"time very negative", `{"time":-62167219201,` + th + `"type":"disconnect"}`, "time", "outside the years"},
		{"time bool", `{"time":true,` + th + `"type":"disconnect"}`, "time", "must be an RFC 3339 string or Unix seconds"},
		{"time null", `{"time":null,` + th + `"type":"disconnect"}`, "time", "must be an RFC 3339 string or Unix seconds"},
		{"empty thing", `{` + tm + `"thingName":"","type":"disconnect"}`, "thingName", "must not be empty"},
		{"long thing", `{` + tm + `"thingName":"` + strings.Repeat("é", 65) + `","type":"disconnect"}`, "thingName", "longer than 128 bytes"},
		{"control char thing", `{` + tm + `"thingName":"a\tb","type":"disconnect"}`, "thingName", "control character"},
		{"C1 control thing", `{` + tm + `"thingName":"a\u0085b","type":"disconnect"}`, "thingName", "control character"},
		{"thing not string", `{` + tm + `"thingName":7,"type":"disconnect"}`, "thingName", "must be a string"},
		{"unknown type", `{` + tm + th + `"type":"publish"}`, "type", "want message-sent"},
		{"type report", `{` + tm + th + `"type":"report"}`, "type", "want message-sent"},
		{"report not object", `{` + tm + th + `"report":[1]}`, "report", "must be a JSON object"},
		{"report string", `{` + tm + th + `"report":"{}"}`, "report", "must be a JSON object"},
		{"cbor not base64", `{` + tm + th + `"reportCbor":"!!!"}`, "reportCbor", "base64"},
		{"cbor unpadded", `{` + tm + th + `"reportCbor":"oWFhAQ"}`, "reportCbor", "base64"},
		{"cbor with newline", `{` + tm + th + `"reportCbor":"oWFh\nAQ=="}`, "reportCbor", "base64"},
		{"cbor empty", `{` + tm + th + `"reportCbor":""}`, "reportCbor", "must not be empty"},
		{"cbor not map", `{` + tm + th + `"reportCbor":"gQE="}`, "reportCbor", "must be a map"},
		{"report not closed", `{` + tm + th + `"report":{"a":[1,2]`, "", "invalid JSON at column 45: '{' not closed"},
		{"report closed by a quoted brace", `{` + tm + th + `"report":{"a":"}"`, "", "not closed"},
		{"record not closed after the report", `{` + tm + th + `"report":{"a":[1,2}`, "", "unexpected end of line"},
		{"bad escape", `{` + tm + `"thingName":"a\qb","type":"disconnect"}`, "", "invalid JSON at column 35: invalid character 'q' in a string escape"},
		{"bad unicode escape", `{` + tm + `"thingName":"a\u12","type":"disconnect"}`, "", "invalid JSON at column 32: invalid string"},
		{"raw control char in string", `{` + tm + "\"thingName\":\"a\x01\",\"type\":\"disconnect\"}", "", "control characters must be escaped"},
		{"unquoted key", `{time:1}`, "", "invalid JSON at column 2: invalid character 't' where an object key belongs"},
		{"missing colon", `{"time" 1}`, "", "want :"},
		{"missing comma", `{"time":1 "thingName":"a"}`, "", "want , or }"},
		{"leading zero", `{"time":01,` + th + `"type":"disconnect"}`, "", "want , or }"},
		{"bare minus", `{"time":-,` + th + `"type":"disconnect"}`, "", "in a number; want a digit"},
		{"dot without digits", `{"time":1.,` + th + `"type":"disconnect"}`, "", "in a number; want a digit"},
		{"exponent without digits", `{"time":1e,` + th + `"type":"disconnect"}`, "", "in a number; want a digit"},
		{"bad literal", `{"time":1,` + th + `"type":"disconnect","success":fals}`, "", "in literal false"},
		{"garbage after record", `{"time":1,` + th + `"type":"disconnect"} x`, "", "after the record object"},
		{"empty object", `{}`, "type", "one of report, reportCbor or type is required"},
		{"only spaces and brace", ` { `, "", "unexpected end of line"},
		{"invalid utf-8 key", "{\"\xff\":1}", "", "invalid UTF-8"},
		{"non-ASCII garbage", "{\"time\":\xc3\xa9}", "", "invalid character byte 0xc3 where a value belongs"},
		{"message without topic", `{` + tm + th + `"type":"message-sent","bytes":1}`, "topic", `required for type "message-sent"`},
		{"message without bytes", `{` + tm + th + `"type":"message-received","topic":"t"}`, "bytes", `required for type "message-received"`},
		{"negative bytes", `{` + tm + th + `"type":"message-sent","topic":"t","bytes":-1}`, "bytes", "non-negative integer"},
		{"fractional bytes", `{` + tm + th + `"type":"message-sent","topic":"t","bytes":1.5}`, "bytes", "non-negative integer"},
		{"exponent bytes", `{` + tm + th + `"type":"message-sent","topic":"t","bytes":1e3}`, "bytes", "non-negative integer"},
		{"overflowing bytes", `{` + tm + th + `"type":"message-sent","topic":"t","bytes":9223372036854775808}`, "bytes", "non-negative integer"},
		{"string bytes", `{` + tm + th + `"type":"message-sent","topic":"t","bytes":"1"}`, "bytes", "non-negative integer"},
		{"topic plus", `{` + tm + th + `"type":"message-sent","topic":"a/+/b","bytes":1}`, "topic", "wildcard"},
		{"topic hash", `{` + tm + th + `"type":"authorization-failure","topic":"a/#"}`, "topic", "wildcard"},
		{"topic NUL", `{` + tm + th + `"type":"authorization-failure","topic":"a\u0000b"}`, "topic", "U+0000"},
		{"topic empty", `{` + tm + th + `"type":"authorization-failure","topic":""}`, "topic", "empty topic"},
		{"topic too long", `{` + tm + th + `"type":"authorization-failure","topic":"` + strings.Repeat("t", 65536) + `"}`, "topic", "longer than 65535"},
		{"bytes on auth failure", `{` + tm + th + `"type":"authorization-failure","topic":"t","bytes":1}`, "bytes", `not allowed for type "authorization-failure"`},
		{"source ip on received", `{` + tm + th + `"type":"message-received","topic":"t","bytes":1,"sourceIp":"1.2.3.4"}`, "sourceIp", "not allowed"},
		{"topic on report", `{` + tm + th + `"report":{},"topic":"t"}`, "topic", "not allowed in a report record"},
		{"topic on disconnect", `{` + tm + th + `"type":"disconnect","topic":"t"}`, "topic", "not allowed"},
		{"connect without ip", `{` + tm + th + `"type":"connect"}`, "sourceIp", `required for type "connect"`},
		{"success not a bool", `{` + tm + th + `"type":"connect","sourceIp":"1.2.3.4","success":"no"}`, "success", "must be true or false"},
		{"success on disconnect", `{` + tm + th + `"type":"disconnect","success":false}`, "success", "not allowed"},
		{"bad ip", `{` + tm + th + `"type":"connect","sourceIp":"203.0.113.256"}`, "sourceIp", "not an IP address"},
		{"cidr as ip", `{` + tm + th + `"type":"connect","sourceIp":"10.0.0.0/8"}`, "sourceIp", "not an IP address"},
		{"ip with zone", `{` + tm + th + `"type":"connect","sourceIp":"fe80::1%eth0"}`, "sourceIp", "not an IP address"},
		{"ip with port", `{` + tm + th + `"type":"connect","sourceIp":"1.2.3.4:80"}`, "sourceIp", "not an IP address"},
		{"ip number", `{` + tm + th + `"type":"connect","sourceIp":16909060}`, "sourceIp", "must be an IP address string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readOne(t, "\n"+tt.line+"\n")
			require.Error(t, err)
			require.ErrorIs(t, err, ErrBadRecord)
			var re *RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 2, re.Line, "line number (after one blank line)")
			assert.Equal(t, tt.field, re.Field)
			assert.Contains(t, re.Msg, tt.msg)
			assert.Contains(t, err.Error(), "line 2")
			assert.LessOrEqual(t, len(re.Msg), 300, "message is clipped")
		})
	}
}

func TestRecordErrorString(t *testing.T) {
	err := &RecordError{Line: 7, Field: "time", Msg: "bad"}
	assert.Equal(t, `replay: line 7: field "time": bad`, err.Error())
	assert.Equal(t, `replay: bad`, (&RecordError{Msg: "bad"}).Error())
	assert.True(t, errors.Is(fmt.Errorf("wrapped: %w", err), ErrBadRecord))
	assert.False(t, errors.Is(err, io.EOF))
}

func TestReaderContinuesAfterBadLines(t *testing.T) {
	input := "\n" +
		`{"time":1767225900,"thingName":"a","type":"disconnect"}` + "\n" +
		"   \t\r\n" +
		`{"time":1767225900,"thingName":"a","type":"bogus"}` + "\n" +
		"not json\n" +
		`{"time":1767225960,"thingName":"b","type":"connect","sourceIp":"192.0.2.1"}` // no final line break
	r := NewReader(strings.NewReader(input))
	var rec Record
	require.NoError(t, r.Next(&rec))
	assert.Equal(t, 2, r.Line())
	assert.Equal(t, "a", rec.ThingName)

	err := r.Next(&rec)
	require.ErrorIs(t, err, ErrBadRecord)
	assert.Equal(t, 4, r.Line())
	assert.Equal(t, Disconnect, rec.Kind, "a rejected line leaves the record unchanged")
	assert.Equal(t, "a", rec.ThingName)

	err = r.Next(&rec)
	require.ErrorIs(t, err, ErrBadRecord)
	assert.Equal(t, 5, r.Line())

	require.NoError(t, r.Next(&rec))
	assert.Equal(t, 6, r.Line())
	assert.Equal(t, Connect, rec.Kind)
	assert.Equal(t, "b", rec.ThingName)
	assert.Equal(t, addr("192.0.2.1"), rec.SourceIP)

	require.Equal(t, io.EOF, r.Next(&rec))
	require.Equal(t, io.EOF, r.Next(&rec), "EOF is sticky")
}

func TestReaderLongLines(t *testing.T) {
	prefix := `{"time":1767225900,"thingName":"a","report":{"pad":"`
	suffix := `"}}`
	exact := prefix + strings.Repeat("x", MaxLineBytes-len(prefix)-len(suffix)) + suffix
	require.Len(t, exact, MaxLineBytes)
	good := `{"time":1767225900,"thingName":"a","type":"disconnect"}`

	input := exact + "\n" + exact + "y\n" + good + "\n" + strings.Repeat(" ", 3*MaxLineBytes)
	r := NewReader(strings.NewReader(input))
	var rec Record
	require.NoError(t, r.Next(&rec), "a line of exactly MaxLineBytes is accepted")
	wantReport := len(exact) - len(`{"time":1767225900,"thingName":"a","report":`) - len(`}`)
	assert.Equal(t, wantReport, len(rec.Report))

	err := r.Next(&rec)
	var re *RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 2, re.Line)
	assert.Contains(t, re.Msg, "longer than 1048576 bytes")
	assert.Equal(t, Report, rec.Kind, "unchanged")

	require.NoError(t, r.Next(&rec), "the line after a long line is read")
	assert.Equal(t, Disconnect, rec.Kind)

	err = r.Next(&rec)
	require.ErrorAs(t, err, &re, "a long blank last line is still too long")
	assert.Equal(t, 4, re.Line)
	require.Equal(t, io.EOF, r.Next(&rec))
}

type failingReader struct{ data io.Reader }

var errDisk = errors.New("disk on fire")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestReaderReadError(t *testing.T) {
	r := NewReader(failingReader{strings.NewReader(`{"time":1,"thingName":"a","type":"disconnect"}` + "\n{\"ti")})
	var rec Record
	require.NoError(t, r.Next(&rec))
	err := r.Next(&rec)
	require.ErrorIs(t, err, errDisk)
	assert.NotErrorIs(t, err, ErrBadRecord)
	assert.Contains(t, err.Error(), "line 2")
	require.ErrorIs(t, r.Next(&rec), errDisk, "read errors are sticky")
}

func TestZeroReader(t *testing.T) {
	var r Reader
	var rec Record
	require.Equal(t, io.EOF, r.Next(&rec))
	assert.Equal(t, 0, r.Line())
	r.Reset(strings.NewReader(`{"time":1,"thingName":"a","type":"disconnect"}`))
	require.NoError(t, r.Next(&rec))
	assert.Equal(t, "a", rec.ThingName)
}

func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("\nbad\n"))
	var rec Record
	require.ErrorIs(t, r.Next(&rec), ErrBadRecord)
	require.Equal(t, io.EOF, r.Next(&rec))
	r.Reset(strings.NewReader(`{"time":1,"thingName":"b","type":"disconnect"}`))
	require.NoError(t, r.Next(&rec), "Reset clears the sticky EOF")
	assert.Equal(t, 1, r.Line(), "and the line count")
	assert.Equal(t, "b", rec.ThingName)
}

func TestReaderReusesReportBuffer(t *testing.T) {
	long := `{"time":1,"thingName":"a","report":{"x":"` + strings.Repeat("y", 100) + `"}}`
	short := `{"time":2,"thingName":"a","report":{}}`
	r := NewReader(strings.NewReader(long + "\n" + short + "\n" + `{"time":3,"thingName":"a","type":"disconnect"}`))
	var rec Record
	require.NoError(t, r.Next(&rec))
	first := &rec.Report[0]
	require.NoError(t, r.Next(&rec))
	assert.Equal(t, "{}", string(rec.Report))
	assert.Same(t, first, &rec.Report[0], "the report buffer is reused")
	require.NoError(t, r.Next(&rec))
	assert.Empty(t, rec.Report)
	assert.Equal(t, Format(0), rec.ReportFormat)
}

func TestReadReferenceReports(t *testing.T) {
	for _, name := range []string{
		"agent-report-python-long.json", "agent-report-python-short.json", "agent-report-python-long-delta.json",
		"agent-report-embeddedc-demo-short.json", "agent-report-embeddedc-reportbuilder-long.json",
		"agent-report-embeddedc-reportbuilder-short.json",
	} {
		t.Run(name, func(t *testing.T) {
			report := bytes.TrimSpace(testdata(t, name))
			line := `{"time":"2023-11-14T22:13:20Z","thingName":"agent","report":` + string(report) + "}"
			rec, err := readOne(t, line)
			require.NoError(t, err)
			assert.Equal(t, string(report), string(rec.Report))
			assert.Equal(t, JSON, rec.ReportFormat)
			assert.Equal(t, int64(1700000000), rec.Time.Unix())
		})
	}
	for _, name := range []string{"agent-report-python-long.cbor", "agent-report-python-short.cbor", "agent-report-python-long-delta.cbor"} {
		t.Run(name, func(t *testing.T) {
			report := testdata(t, name)
			rec := Record{Time: time.Unix(1700000000, 0), ThingName: "agent", Kind: Report, Report: report, ReportFormat: CBOR}
			require.NoError(t, rec.Validate())
			line := AppendRecord(nil, &rec)
			got, err := readOne(t, string(line))
			require.NoError(t, err)
			assert.Equal(t, report, got.Report)
			assert.Equal(t, CBOR, got.ReportFormat)
		})
	}
}

// Failure 6 of issue 9: an error for a long key or value echoed it whole,
// and escapes from the line reached the message raw. The key and value are
// now quoted, escaped and cut.
func TestRecordErrorEchoesInputQuotedAndCut(t *testing.T) {
	evil := `x\n\u001b[31m\u202e` + strings.Repeat("k", 500_000)
	for name, line := range map[string]string{
		"unknown key": `{"` + evil + `":1}`,
		"bad time":    `{"time":"` + evil + `","thingName":"a","type":"disconnect"}`,
		"bad type":    `{"time":1,"thingName":"a","type":"` + evil + `"}`,
		"bad ip":      `{"time":1,"thingName":"a","type":"connect","sourceIp":"` + evil + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readOne(t, line+"\n")
			require.ErrorIs(t, err, ErrBadRecord)
			msg := err.Error()
			assert.Less(t, len(msg), 500, msg)
			for _, bad := range []string{"\n", "\x1b", "\u202e"} {
				assert.NotContains(t, msg, bad)
			}
		})
	}
}

// All yields what Next reads, in order: records, and bad lines with their
// errors, reading on after them; a read error ends it after it is yielded,
// and a break stops the reading where it is.
func TestReaderAll(t *testing.T) {
	good := `{"time":1767225960,"thingName":"cam-1","type":"disconnect"}` + "\n"
	bad := `{"time":1767225960,"thingName":"","type":"disconnect"}` + "\n"
	readFail := errors.New("disk gone")
	r := NewReader(io.MultiReader(strings.NewReader(good+bad+"\n"+good), iotest.ErrReader(readFail)))
	type step struct {
		line  int
		thing string
		err   error
	}
	var got []step
	for rec, err := range r.All() {
		s := step{line: r.Line(), err: err}
		if rec != nil {
			s.thing = rec.ThingName
		}
		got = append(got, s)
	}
	require.Len(t, got, 4)
	assert.Equal(t, step{line: 1, thing: "cam-1"}, got[0])
	assert.Equal(t, 2, got[1].line)
	assert.ErrorIs(t, got[1].err, ErrBadRecord)
	assert.Equal(t, step{line: 4, thing: "cam-1"}, got[2], "the blank line 3 is skipped")
	assert.ErrorIs(t, got[3].err, readFail)
	n := 0
	for rec, err := range r.All() {
		assert.Nil(t, rec)
		assert.ErrorIs(t, err, readFail, "a read error is sticky")
		n++
	}
	assert.Equal(t, 1, n)

	r = NewReader(strings.NewReader(good + good + good))
	for range r.All() {
		break
	}
	assert.Equal(t, 1, r.Line(), "a break stops the reading")
	var rec Record
	require.NoError(t, r.Next(&rec))
	assert.Equal(t, 2, r.Line())
}

// A Clone keeps its report when the record it came from is read into again.
func TestRecordCloneOwnsItsReport(t *testing.T) {
	in := `{"time":1767225900,"thingName":"a","report":{"hed":{"rid":1,"v":"1.0"},"met":{}}}` + "\n" +
		`{"time":1767225900,"thingName":"b","report":{"hed":{"rid":2,"v":"1.0"},"met":{}}}` + "\n"
	var clones []Record
	for rec, err := range NewReader(strings.NewReader(in)).All() {
		require.NoError(t, err)
		clones = append(clones, rec.Clone())
	}
	require.Len(t, clones, 2)
	assert.Contains(t, string(clones[0].Report), `"rid":1`)
	assert.Contains(t, string(clones[1].Report), `"rid":2`)
}
