package replay

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The report is delimited, not checked: what is inside is the report
// decoder's to judge (and reject as a malformed report).
func TestReportOnlyDelimited(t *testing.T) {
	const head = `{"time":1767225900,"thingName":"a",`
	tests := []struct {
		name, line, report string
	}{
		{"invalid inside", head + `"report":{"a":}}`, `{"a":}`},
		{"trailing comma inside", head + `"report":{"a":1,}}`, `{"a":1,}`},
		{"brace in a string", head + `"report":{"a":"}{]["}}`, `{"a":"}{]["}`},
		{"escaped quote", head + `"report":{"a":"\"}"}}`, `{"a":"\"}"}`},
		{"escaped backslash before quote", head + `"report":{"a":"\\"}}`, `{"a":"\\"}`},
		{"nested", head + `"report":{"a":[{"b":[]}],"c":{}}}`, `{"a":[{"b":[]}],"c":{}}`},
		{"report first, spaces around", `{ "report" :	{"a" : 1}	, "time":1767225900,"thingName":"a" }`, `{"a" : 1}`},
		{"crlf line", head + `"report":{}}` + "\r", `{}`},
		{"cbor not well-formed", head + `"reportCbor":"omFhAQ=="}`, "\xa2\x61\x61\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := readOne(t, tt.line)
			require.NoError(t, err)
			assert.Equal(t, Report, rec.Kind)
			assert.Equal(t, tt.report, string(rec.Report))
			require.NoError(t, rec.Validate(), "the Reader and Validate apply one rule")
		})
	}
}

// Parse hands out a JSON report as a slice of the line (no copy); Next
// copies it into the Record, so a record outlives the Reader's next line.
func TestParseAliasesLineNextCopies(t *testing.T) {
	line := []byte(`{"time":1,"thingName":"a","report":{"x":1}}`)
	var p Parser
	var rec Record
	require.NoError(t, p.Parse(line, &rec))
	require.Equal(t, `{"x":1}`, string(rec.Report))
	assert.Same(t, &line[35], &rec.Report[0])

	r := NewReader(strings.NewReader(string(line) + "\n" + `{"time":2,"thingName":"b","report":{"y":22}}` + "\n"))
	var a, b Record
	require.NoError(t, r.Next(&a))
	require.NoError(t, r.Next(&b))
	assert.Equal(t, `{"x":1}`, string(a.Report))
	assert.Equal(t, `{"y":22}`, string(b.Report))
}

// AppendLine gives the lines Next would parse, with their numbers, blank
// lines skipped.
func TestAppendLine(t *testing.T) {
	r := NewReader(strings.NewReader("a\n\n  \nb\r\nc"))
	var got []string
	var lines []int
	for {
		l, err := r.AppendLine(nil)
		if err != nil {
			break
		}
		got = append(got, string(l))
		lines = append(lines, r.Line())
	}
	assert.Equal(t, []string{"a", "b\r", "c"}, got)
	assert.Equal(t, []int{1, 4, 5}, lines)
}

// Regression (issue 11): with more things than the name cache held (65,536)
// every record's thing name missed the cache and was allocated. A fleet of
// 100,000 things now parses without allocating once warm.
func TestNameCacheHoldsLargeFleet(t *testing.T) {
	const things = 100_000
	lines := make([][]byte, things)
	for i := range lines {
		lines[i] = fmt.Appendf(nil, `{"time":1767225900,"thingName":"thing-%06d","type":"message-sent","topic":"dt/thing-%06d/t","bytes":1,"sourceIp":"10.%d.%d.%d"}`,
			i, i, i>>16, (i>>8)&255, i&255)
	}
	var p Parser
	var rec Record
	for range 2 {
		for _, l := range lines {
			require.NoError(t, p.Parse(l, &rec))
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(things, func() {
		if err := p.Parse(lines[i%things], &rec); err != nil {
			t.Fatal(err)
		}
		i++
	})
	assert.Zero(t, allocs)
}

// FuzzCompositeEnd checks the report delimiter against jsontext: a valid
// JSON object or array ends exactly where jsontext says it does.
func FuzzCompositeEnd(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":"}"}`, `{"a":"\\"}`, `[{"a":[1,{"b":"\""}]}]`, `{"a":"\u005c"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, ok := compositeEnd(b, 0)
		if ok && (end <= 0 || end > len(b)) {
			t.Fatalf("end %d outside 1..%d", end, len(b))
		}
		v := jsontext.Value(bytes.TrimRight(b, " \t\r\n"))
		if len(v) == 0 || (v[0] != '{' && v[0] != '[') || !v.IsValid(jsontext.AllowDuplicateNames(true)) {
			return
		}
		if !ok || end != len(v) {
			t.Fatalf("compositeEnd(%q) = %d, %v; want %d", b, end, ok, len(v))
		}
	})
}

// FuzzParse checks the line scanner against jsontext: a line Parse accepts
// is valid JSON once its report (which Parse does not check) is replaced by
// a valid one; and a valid JSON line is rejected only for what the record
// rules reject, never for its syntax.
func FuzzParse(f *testing.F) {
	for _, l := range exampleLines {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"time":"2026-01-01T00:05:00Z","thingName":"\u00e9","report":{"a":[1,"}"]}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var p Parser
		var rec Record
		err := p.Parse(line, &rec)
		opts := jsontext.AllowDuplicateNames(true)
		if err == nil {
			check := line
			if rec.Kind == Report && rec.ReportFormat == JSON {
				at := cap(line) - cap(rec.Report) // the report is a slice of line
				check = append(append(append([]byte(nil), line[:at]...), "{}"...), line[at+len(rec.Report):]...)
			}
			if !jsontext.Value(check).IsValid(opts) {
				t.Fatalf("accepted a line that is not valid JSON: %q", line)
			}
			return
		}
		if jsontext.Value(line).IsValid(opts) && strings.Contains(err.Error(), "invalid JSON") {
			t.Fatalf("rejected valid JSON as invalid: %q: %v", line, err)
		}
	})
}

// compositeEnd reads eight bytes at a time: escapes, quotes and brackets at
// every offset of a word are found.
func TestCompositeEndAtEveryOffset(t *testing.T) {
	for k := range 20 {
		pad := strings.Repeat("x", k)
		for _, s := range []string{
			`{"` + pad + `\"}{[":1}`,
			`{"` + pad + `\\":"}"}`,
			`{"a":["` + pad + `",{"b":"]}"}],"c":{}}`,
			`["` + pad + `]",["` + pad + `\\\""]]`,
		} {
			require.True(t, jsontext.Value(s).IsValid(), s)
			end, ok := compositeEnd([]byte(s+` , "next":1}`), 0)
			assert.True(t, ok, s)
			assert.Equal(t, len(s), end, s)
			_, ok = compositeEnd([]byte(s[:len(s)-1]), 0)
			assert.False(t, ok, "%s without its last bracket", s)
		}
	}
}

// The Parser remembers the last RFC 3339 time it parsed; a different text,
// valid or not, is parsed afresh.
func TestParseTimeRemembered(t *testing.T) {
	var p Parser
	var rec Record
	line := func(tm string) []byte {
		return []byte(`{"time":"` + tm + `","thingName":"a","type":"disconnect"}`)
	}
	for _, tt := range []struct{ time, want, err string }{
		{"2026-01-01T00:05:00Z", "2026-01-01T00:05:00Z", ""},
		{"2026-01-01T00:05:00Z", "2026-01-01T00:05:00Z", ""},
		{"2026-01-01T00:05:00", "", "not an RFC 3339 time"},
		{"2026-01-01T01:05:00+01:00", "2026-01-01T00:05:00Z", ""},
		{"2026-01-01T00:05:00.5Z", "2026-01-01T00:05:00.5Z", ""},
		{"2026-01-01T00:05:00.5Z", "2026-01-01T00:05:00.5Z", ""},
		{"2026-01-01T00:05:00Z", "2026-01-01T00:05:00Z", ""},
	} {
		err := p.Parse(line(tt.time), &rec)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, ts(tt.want), rec.Time, tt.time)
		assert.Equal(t, time.UTC, rec.Time.Location())
	}
}

// fieldOf knows every key of fieldKeys, and nothing else.
func TestFieldOf(t *testing.T) {
	for _, fk := range fieldKeys {
		assert.Equal(t, fk.f, fieldOf([]byte(fk.key)), fk.key)
		assert.Equal(t, fk.key, fk.f.key())
		assert.Zero(t, fieldOf([]byte(fk.key+"x")), fk.key+"x")
		assert.Zero(t, fieldOf([]byte(fk.key[:len(fk.key)-1])), fk.key[:len(fk.key)-1])
	}
	assert.Zero(t, fieldOf(nil))
}

// keyColon matches every key as the format writes it, and nothing else.
func TestKeyColon(t *testing.T) {
	for _, fk := range fieldKeys {
		k := `"` + fk.key + `":`
		f, n := keyColon([]byte(k + `1`))
		assert.Equal(t, fk.f, f, k)
		assert.Equal(t, len(k), n, k)
		for _, other := range []string{`"` + fk.key + `" :`, `"` + fk.key + `x":`, `"` + fk.key[:len(fk.key)-1] + `":`, k[:len(k)-1]} {
			f, n := keyColon([]byte(other))
			assert.Zero(t, f, other)
			assert.Zero(t, n, other)
		}
	}
	f, _ := keyColon([]byte(`"\u0074ime":`))
	assert.Zero(t, f)
}

// The string scanner reads eight bytes at a time: a quote, an escape, a
// control character or a multi-byte character at any offset of a word is
// found, and the string ends where jsontext says it does.
func TestStringScanAtEveryOffset(t *testing.T) {
	for k := range 20 {
		pad := strings.Repeat("x", k)
		s := scanner{b: []byte(`"` + pad)}
		_, _, err := s.str()
		require.ErrorContains(t, err, "unexpected end of line")
		for _, tt := range []struct {
			str string // a JSON string
			esc bool
			err string
		}{
			{`"` + pad + `"`, false, ""},
			{`"` + pad + `\"` + pad + `"`, true, ""},
			{`"` + pad + `\\"`, true, ""},
			{`"` + pad + `é` + pad + `"`, false, ""},
			{`"` + pad + "\xff" + `"`, false, "invalid UTF-8"},
			{`"` + pad + "\x01" + `"`, false, "control characters must be escaped"},
			{`"` + pad + "\x7f" + pad + `"`, false, ""},
			{`"` + pad + `\q"`, false, "in a string escape"},
			{`"` + pad + `\`, false, "unexpected end of line"},
		} {
			line := tt.str + `,"next":1}`
			if strings.HasPrefix(tt.err, "unexpected end") {
				line = tt.str
			}
			s := scanner{b: []byte(line)}
			raw, esc, err := s.str()
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err, "%q", tt.str)
				continue
			}
			require.NoError(t, err, "%q", tt.str)
			require.True(t, jsontext.Value(tt.str).IsValid(), tt.str)
			assert.Equal(t, tt.str, string(raw))
			assert.Equal(t, tt.esc, esc, tt.str)
		}
	}
}
