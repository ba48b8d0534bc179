package replay

import (
	"bytes"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validReport stands in for the report decoder, which accepts only one
// valid JSON object (and of those, only reports).
func validReport(b []byte) bool {
	return len(b) > 0 && b[0] == '{' && jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true))
}

// ParseDeferred takes a last-member report up to the record's closing brace
// without finding its end; the span is Parse's report exactly when it is a
// valid object, and otherwise Parse has the verdict.
func TestParseDeferred(t *testing.T) {
	const head = `{"time":1767225900,"thingName":"a",`
	tests := []struct {
		name, line string
		unchecked  bool
		report     string // the span ParseDeferred gives
		err        string // ParseDeferred's error (Parse's)
	}{
		{"last member", head + `"report":{"a":1}}`, true, `{"a":1}`, ""},
		{"spaces around the braces", head + `"report": {"a":"}"} ` + "\t}\r", true, `{"a":"}"}`, ""},
		{"empty object", head + `"report":{}}`, true, `{}`, ""},
		{"not last: Parse's span", `{"report":{"a":1},"time":1767225900,"thingName":"a"}`, false, `{"a":1}`, ""},
		{"member after it, taken in", head + `"report":{"a":1},"type":{"b":2}}`, true, `{"a":1},"type":{"b":2}`, ""},
		{"foreign member after it, taken in", head + `"report":{"a":1},"bogus":{}}`, true, `{"a":1},"bogus":{}`, ""},
		{"unclosed, guessed", head + `"report":{"a":{}}`, true, `{"a":{}`, ""},
		{"record not closed", head + `"report":{"a":1}`, false, "", "unexpected end of line"},
		{"a guess that breaks the record: Parse decides", `{"report":{"a":1},"time":1767225900}}`, false, "", `invalid character '}' after the record object`},
		{"cbor", head + `"reportCbor":"oWNoZWSiY3JpZBoAAAABYXZjMS4w"}`, false, "\xa1ched\xa2crid\x1a\x00\x00\x00\x01av" + "c1.0", ""},
		{"no report", head + `"type":"disconnect"}`, false, "", ""},
		{"bad thing name before the report", `{"time":1767225900,"thingName":"","report":{}}`, false, "", `field "thingName": must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			var rec Record
			unchecked, err := p.ParseDeferred([]byte(tt.line), &rec)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.False(t, unchecked)
				assert.Equal(t, p.Parse([]byte(tt.line), &rec), err, "the error is Parse's")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.unchecked, unchecked)
			assert.Equal(t, tt.report, string(rec.Report))
		})
	}
}

// FuzzParseDeferred checks ParseDeferred against Parse on any line: the
// same error, or the same record, unless the span it took on trust is not a
// valid JSON object (which the decoder rejects, and Parse then decides).
func FuzzParseDeferred(f *testing.F) {
	for _, l := range exampleLines {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"time":1767225900,"thingName":"a","report":{"a":1},"type":{"b":2}}`))
	f.Add([]byte(`{"time":1767225900,"thingName":"a","report":{"a":"}"} }`))
	f.Add([]byte(`{"time":1767225900,"thingName":"a","report":{"a":1}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var p, q Parser
		var got, want Record
		unchecked, err := p.ParseDeferred(line, &got)
		wantErr := q.Parse(line, &want)
		if unchecked {
			if err != nil {
				t.Fatalf("unchecked with an error: %v", err)
			}
			if !validReport(got.Report) {
				return // the decoder rejects it; the caller asks Parse
			}
			if !bytes.Equal(got.Report, want.Report) {
				t.Fatalf("valid span %q, Parse's report %q (Parse: %v)", got.Report, want.Report, wantErr)
			}
		}
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("ParseDeferred: %v; Parse: %v", err, wantErr)
		}
		if err == nil && !equalRecords(&got, &want) {
			t.Fatalf("records differ:\n%+v\n%+v", got, want)
		}
	})
}
