package report

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hed = `"hed":{"rid":1,"v":"1.0"}`

// malformedReports are syntactically valid JSON reports the service would
// reject. Each runs as JSON and, converted token by token, as CBOR: the
// error and its path must be the same.
var malformedReports = []struct {
	name, in, path, msg string
}{
	{"custom number not an array (devguide)", `{"header":{"report_id":12334567,"version":"1.0"},"metrics":{"network_stats":{"bytes_in":30680,"bytes_out":10652,"packets_in":113,"packets_out":118}},"custom_metrics":{"my_custom_metric":{"number":0}}}`,
		"custom_metrics.my_custom_metric", "want an array, got an object"},
	{"report not an object", `[]`, "", "want an object, got an array"},
	{"report null", `null`, "", "want an object, got null"},
	{"header not an object", `{"header":[],"metrics":{}}`, "header", "want an object, got an array"},
	{"report_id a string", `{"header":{"report_id":"1","version":"1.0"},"metrics":{}}`, "header.report_id", "want an integer, got a string"},
	{"report_id zero", `{"hed":{"rid":0,"v":"1.0"},"met":{}}`, "hed.rid", "positive integer, got 0"},
	{"report_id negative", `{"hed":{"rid":-5,"v":"1.0"},"met":{}}`, "hed.rid", "positive integer, got -5"},
	{"report_id fraction", `{"hed":{"rid":1.5,"v":"1.0"},"met":{}}`, "hed.rid", "want an integer, got 1.5"},
	{"report_id beyond int64", `{"hed":{"rid":9223372036854775808,"v":"1.0"},"met":{}}`, "hed.rid", "out of range"},
	{"report_id huge exponent", `{"hed":{"rid":1e30,"v":"1.0"},"met":{}}`, "hed.rid", "out of range"},
	{"version a number", `{"hed":{"rid":1,"v":1.0},"met":{}}`, "hed.v", "want a string, got a number"},
	{"version not Major.Minor", `{"hed":{"rid":1,"v":"1"},"met":{}}`, "hed.v", `"Major.Minor", got "1"`},
	{"missing header", `{"metrics":{}}`, "", "missing header"},
	{"missing report_id", `{"hed":{"v":"1.0"},"met":{}}`, "hed", "missing report_id"},
	{"missing version", `{"hed":{"rid":1},"met":{}}`, "hed", "missing version"},
	{"header only", `{` + hed + `}`, "", "missing metrics and custom_metrics"},
	{"header twice, long and short", `{"header":{"report_id":1,"version":"1.0"},` + hed + `,"met":{}}`, "hed", "duplicate key"},
	{"metrics twice", `{` + hed + `,"met":{},"met":{}}`, "met", "duplicate key"},
	{"report_id twice", `{"hed":{"rid":1,"report_id":2,"v":"1.0"},"met":{}}`, "hed.report_id", "duplicate key"},
	{"port list twice", `{` + hed + `,"met":{"tp":{"pts":[]},"listening_tcp_ports":{"pts":[]}}}`, "met.listening_tcp_ports", "duplicate key"},
	{"total twice", `{` + hed + `,"met":{"up":{"t":1,"total":1}}}`, "met.up.total", "duplicate key"},
	{"port twice in an entry", `{` + hed + `,"met":{"tp":{"pts":[{"pt":1,"port":2}]}}}`, "met.tp.pts[0].port", "duplicate key"},
	{"network counter twice", `{` + hed + `,"met":{"ns":{"bi":1,"bytes_in":2}}}`, "met.ns.bytes_in", "duplicate key"},
	{"remote_addr twice", `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":"1.1.1.1:1","rad":"1.1.1.1:1"}]}}}}`, "met.tc.ec.cs[0].rad", "duplicate key"},
	{"custom metric twice", `{` + hed + `,"cmet":{"m":[{"number":1}],"m":[{"number":2}]}}`, "cmet.m", "duplicate custom metric"},
	{"unknown top-level key", `{` + hed + `,"met":{},"extra":1}`, "extra", "unknown key"},
	{"unknown header key", `{"hed":{"rid":1,"v":"1.0","ts":5},"met":{}}`, "hed.ts", "unknown key"},
	{"short header key h", `{"h":{"rid":1,"v":"1.0"},"met":{}}`, "h", "unknown key"},
	{"metrics not an object", `{` + hed + `,"met":[]}`, "met", "want an object, got an array"},
	{"metrics null", `{` + hed + `,"met":null}`, "met", "want an object, got null"},
	{"port list not an object", `{` + hed + `,"met":{"tp":[]}}`, "met.tp", "want an object, got an array"},
	{"ports not an array", `{` + hed + `,"met":{"tp":{"pts":{}}}}`, "met.tp.pts", "want an array, got an object"},
	{"port entry not an object", `{` + hed + `,"met":{"tp":{"pts":[22]}}}`, "met.tp.pts[0]", "want an object, got a number"},
	{"port a string", `{` + hed + `,"met":{"tp":{"pts":[{"pt":22},{"pt":"80"}]}}}`, "met.tp.pts[1].pt", "want an integer, got a string"},
	{"port a fraction", `{` + hed + `,"met":{"up":{"pts":[{"port":53.5}]}}}`, "met.up.pts[0].port", "want an integer, got 53.5"},
	{"interface a number", `{` + hed + `,"met":{"tp":{"pts":[{"pt":22,"if":0}]}}}`, "met.tp.pts[0].if", "want a string, got a number"},
	{"total negative", `{` + hed + `,"met":{"tp":{"t":-1}}}`, "met.tp.t", "must be ≥ 0, got -1"},
	{"total a boolean", `{` + hed + `,"met":{"tp":{"t":true}}}`, "met.tp.t", "want an integer, got a boolean"},
	{"network_stats not an object", `{` + hed + `,"met":{"ns":5}}`, "met.ns", "want an object, got a number"},
	{"network counter a string", `{` + hed + `,"met":{"ns":{"bi":"1"}}}`, "met.ns.bi", "want an integer, got a string"},
	{"network counter negative", `{` + hed + `,"met":{"ns":{"po":-3}}}`, "met.ns.po", "must be ≥ 0, got -3"},
	{"tcp_connections not an object", `{` + hed + `,"met":{"tc":[]}}`, "met.tc", "want an object, got an array"},
	{"established_connections not an object", `{` + hed + `,"met":{"tc":{"ec":"x"}}}`, "met.tc.ec", "want an object, got a string"},
	{"connections not an array", `{` + hed + `,"met":{"tc":{"ec":{"cs":{}}}}}`, "met.tc.ec.cs", "want an array, got an object"},
	{"remote_addr a number", `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":1}]}}}}`, "met.tc.ec.cs[0].rad", "want a string, got a number"},
	{"local_port negative", `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":"1.1.1.1:1","lp":-1}]}}}}`, "met.tc.ec.cs[0].lp", "must be ≥ 0"},
	{"custom_metrics not an object", `{` + hed + `,"cmet":[]}`, "cmet", "want an object, got an array"},
	{"custom empty array", `{` + hed + `,"cmet":{"m":[]}}`, "cmet.m", "got an empty array"},
	{"custom two elements", `{` + hed + `,"cmet":{"m":[{"number":1},{"number":2}]}}`, "cmet.m[1]", "got more elements"},
	{"custom element not an object", `{` + hed + `,"cmet":{"m":[1]}}`, "cmet.m[0]", "want an object, got a number"},
	{"custom empty object", `{` + hed + `,"cmet":{"m":[{}]}}`, "cmet.m[0]", "got an empty object"},
	{"custom two kinds", `{` + hed + `,"cmet":{"m":[{"number":1,"number_list":[1]}]}}`, "cmet.m[0].number_list", "want exactly one of"},
	{"custom unknown kind", `{` + hed + `,"cmet":{"m":[{"numbr":1}]}}`, "cmet.m[0].numbr", "unknown key"},
	{"custom short kind", `{` + hed + `,"cmet":{"m":[{"n":1}]}}`, "cmet.m[0].n", "unknown key"},
	{"number a string", `{` + hed + `,"cmet":{"m":[{"number":"1"}]}}`, "cmet.m[0].number", "want a number, got a string"},
	{"number null", `{` + hed + `,"cmet":{"m":[{"number":null}]}}`, "cmet.m[0].number", "want a number, got null"},
	{"number an array", `{` + hed + `,"cmet":{"m":[{"number":[1]}]}}`, "cmet.m[0].number", "want a number, got an array"},
	{"number_list element a string", `{` + hed + `,"cmet":{"m":[{"number_list":[1,"2"]}]}}`, "cmet.m[0].number_list[1]", "want a number, got a string"},
	{"number_list not an array", `{` + hed + `,"cmet":{"m":[{"number_list":1}]}}`, "cmet.m[0].number_list", "want an array, got a number"},
	{"string_list element a number", `{` + hed + `,"cmet":{"m":[{"string_list":[1]}]}}`, "cmet.m[0].string_list[0]", "want a string, got a number"},
	{"ip_list element an object", `{` + hed + `,"cmet":{"m":[{"ip_list":["1.1.1.1",{}]}]}}`, "cmet.m[0].ip_list[1]", "want a string, got an object"},
	{"nested arrays where a header is due", `{"hed":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `,"met":{}}`, "hed", "want an object, got an array"},
}

func requireMalformed(t *testing.T, err error, path, msg string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, ErrMalformed)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, path, e.Path)
	assert.Contains(t, e.Msg, msg)
	assert.True(t, strings.HasPrefix(err.Error(), "Malformed metrics report: "+path), err.Error())
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range malformedReports {
		t.Run(tc.name, func(t *testing.T) {
			r := pythonLong.Clone() // a filled Report: a rejection must empty it
			var d Decoder
			requireMalformed(t, d.DecodeJSON([]byte(tc.in), &r), tc.path, tc.msg)
			assert.Equal(t, Report{}, norm(&r))

			b, err := jsonToCBOR([]byte(tc.in))
			require.NoError(t, err)
			r = pythonLong.Clone()
			requireMalformed(t, d.DecodeCBOR(b, &r), tc.path, tc.msg)
			assert.Equal(t, Report{}, norm(&r))
		})
	}
}

// The devguide's rejected report is rejected with the service's wording.
func TestDecodeDevguideRejected(t *testing.T) {
	_, err := decodeJSON(t, readTestdata(t, "devguide-troubleshoot-report-custom-number-not-array.input.json"))
	requireMalformed(t, err, "custom_metrics.my_custom_metric", "want an array, got an object")
	assert.Contains(t, string(readTestdata(t, "devguide-troubleshoot-report-custom-number-not-array.rejected.json")), ErrMalformed.Error())
}

func TestDecodeJSONSyntaxErrors(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	cases := []struct {
		name, in, path, msg string
	}{
		{"empty", ``, "", "invalid JSON"},
		{"whitespace", " \n", "", "invalid JSON"},
		{"truncated in header", `{"hed":{"rid":1`, "hed", "invalid JSON"},
		{"truncated in a port list", `{` + hed + `,"met":{"tp":{"pts":[{"pt":22},`, "met.tp.pts[0]", "invalid JSON"},
		{"truncated string", `{` + hed + `,"cmet":{"m":[{"string_list":["ab`, "cmet.m[0].string_list[0]", "invalid JSON"},
		{"missing comma", `{` + hed + ` "met":{}}`, "", "invalid JSON"},
		{"trailing data", `{` + hed + `,"met":{}} {}`, "", "unexpected data after the report"},
		{"trailing garbage", `{` + hed + `,"met":{}}x`, "", "unexpected data after the report"},
		{"invalid UTF-8 in a value", `{` + hed + `,"cmet":{"m":[{"string_list":["a` + "\xff" + `"]}]}}`, "cmet.m[0].string_list[0]", "invalid UTF-8"},
		{"invalid UTF-8 in a key", `{` + hed + `,"cmet":{"` + "\xc3\x28" + `":[{"number":1}]}}`, "cmet", "invalid UTF-8"},
		{"lone surrogate escape", `{` + hed + `,"cmet":{"m":[{"string_list":["\ud800"]}]}}`, "cmet.m[0].string_list[0]", "invalid JSON"},
		{"single quotes", `{'hed':1}`, "", "invalid JSON"},
		{"deep nesting in an ignored key", `{` + hed + `,"met":{"x":` + deep + `}}`, "met.x", "invalid JSON"},
		{"NaN literal", `{` + hed + `,"cmet":{"m":[{"number":NaN}]}}`, "cmet.m[0].number", "invalid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := pythonShort.Clone()
			var d Decoder
			err := d.DecodeJSON([]byte(tc.in), &r)
			requireMalformed(t, err, tc.path, tc.msg)
			assert.Equal(t, Report{}, norm(&r))
		})
	}
}

func TestDecodeCBORErrors(t *testing.T) {
	short := readTestdata(t, "agent-report-python-short.cbor")
	// {"hed": {"rid": 1, "v": "1.0"}, "met": {"x": VALUE}} with VALUE spliced in.
	withIgnored := func(value ...byte) []byte {
		b := []byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
			0x63, 'm', 'e', 't', 0xa1, 0x61, 'x'}
		return append(b, value...)
	}
	// {"hed": {"rid": 1, "v": "1.0"}, "cmet": {"m": [{"number": VALUE}]}}
	withNumber := func(value ...byte) []byte {
		b := []byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
			0x64, 'c', 'm', 'e', 't', 0xa1, 0x61, 'm', 0x81, 0xa1, 0x66, 'n', 'u', 'm', 'b', 'e', 'r'}
		return append(b, value...)
	}
	cases := []struct {
		name string
		in   []byte
		path string
		msg  string
	}{
		{"empty", nil, "", "unexpected end of data"},
		{"truncated in report_id", short[:10], "hed.rid", "unexpected end of data"},
		{"truncated before the last value", short[:len(short)-1], "cmet.cpu_usage[0].number", "unexpected end of data"},
		{"trailing data", append(append([]byte{}, short...), 0x00), "", "unexpected data after the report"},
		{"a second report", append(append([]byte{}, short...), short...), "", "unexpected data after the report"},
		{"map claims 2^32 pairs", []byte{0xba, 0xff, 0xff, 0xff, 0xff}, "", "unexpected end of data"},
		{"map claims 2^64-1 pairs", []byte{0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "", "unexpected end of data"},
		{"key claims 2^63 bytes", []byte{0xa1, 0x7b, 0x80, 0, 0, 0, 0, 0, 0, 0}, "", "unexpected end of data"},
		{"ignored array claims 2^64-1 items", withIgnored(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "met.x", "unexpected end of data"},
		{"ignored byte string claims 2^32 bytes", withIgnored(0x5a, 0xff, 0xff, 0xff, 0xff), "met.x", "unexpected end of data"},
		{"deep nesting in an ignored key", withIgnored(append(bytesRepeat(0x81, 20000), 0x00)...), "met.x", "nested too deeply"},
		{"ignored tag without its item", withIgnored(bytesRepeat(0xc1, 200)...), "met.x", "unexpected end of data"},
		{"ignored indefinite map ends after a key", withIgnored(0xbf, 0x61, 'k', 0xff), "met.x", "map key without a value"},
		{"bad chunk in an ignored indefinite string", withIgnored(0x5f, 0x61, 'a', 0xff), "met.x", "bad chunk"},
		{"invalid UTF-8 key", []byte{0xa1, 0x62, 0xff, 0xfe, 0x00}, "", "not valid UTF-8"},
		{"invalid UTF-8 in an ignored value", withIgnored(0x61, 0xff), "met.x", "not valid UTF-8"},
		{"integer key", []byte{0xa1, 0x01, 0x02}, "", "want a text string key, got a number"},
		{"byte string where a string is due", withNumber(0x41, 0x31), "cmet.m[0].number", "want a number, got an unsupported CBOR item"},
		{"date tag on a number", withNumber(0xc1, 0x01), "cmet.m[0].number", "unsupported CBOR item"},
		{"undefined", withNumber(0xf7), "cmet.m[0].number", "unsupported CBOR item"},
		{"break outside a container", withNumber(0xff), "cmet.m[0].number", "unexpected break"},
		{"two-byte simple value below 32", withNumber(0xf8, 0x10), "cmet.m[0].number", "two-byte simple value"},
		{"reserved additional information", withNumber(0x1c), "cmet.m[0].number", "reserved additional information 28"},
		{"bad chunk in an indefinite text key", []byte{0xa1, 0x7f, 0x41, 'a', 0xff}, "", "bad chunk"},
		{"negative integer beyond int64 in report_id", []byte{0xa1, 0x63, 'h', 'e', 'd', 0xa1, 0x63, 'r', 'i', 'd', 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "hed.rid", "out of range"},
		{"float report_id with a fraction", []byte{0xa1, 0x63, 'h', 'e', 'd', 0xa1, 0x63, 'r', 'i', 'd', 0xf9, 0x3e, 0x00}, "hed.rid", "want an integer, got 1.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := pythonShort.Clone()
			var d Decoder
			requireMalformed(t, d.DecodeCBOR(tc.in, &r), tc.path, tc.msg)
			assert.Equal(t, Report{}, norm(&r))
		})
	}
}

// Both formats allow the nesting jsontext allows, 10000 levels from the top
// of the report, and refuse one more.
func TestDecodeNestingLimit(t *testing.T) {
	for _, tc := range []struct {
		arrays int
		ok     bool
	}{{9998, true}, {9999, false}} {
		in := []byte(`{` + hed + `,"met":{"x":` + strings.Repeat("[", tc.arrays) + strings.Repeat("]", tc.arrays) + `}}`)
		_, jerr := decodeJSON(t, in)
		b, err := jsonToCBOR(in)
		if !tc.ok {
			require.Error(t, err) // the converter's tokenizer refuses it too
			b, err = jsonToCBOR([]byte(`{` + hed + `,"met":{"x":` + strings.Repeat("[", tc.arrays-1) + strings.Repeat("]", tc.arrays-1) + `}}`))
			require.NoError(t, err)
			b = insertArray(b)
		}
		_, cerr := decodeCBOR(t, b)
		if tc.ok {
			require.NoError(t, jerr)
			require.NoError(t, cerr)
			continue
		}
		requireMalformed(t, jerr, "met.x", "exceeded max depth")
		requireMalformed(t, cerr, "met.x", "nested too deeply")
	}
	// Tags nest without limit: each one is a head, bounded by the input.
	r, err := decodeCBOR(t, append(append([]byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
		0x63, 'm', 'e', 't', 0xa1, 0x61, 'x'}, bytesRepeat(0xc1, 20000)...), 0x00))
	require.NoError(t, err)
	assert.Equal(t, []Dropped{{"", "met.x", "unknown key ignored"}}, r.Dropped)
}

// insertArray wraps the innermost indefinite array of a converted report in
// one more, to build a CBOR report one level deeper than JSON can express.
func insertArray(b []byte) []byte {
	i := len(b) - 1
	for b[i] != 0x9f {
		i--
	}
	out := append([]byte{}, b[:i+1]...)
	out = append(out, 0x9f, 0xff)
	return append(out, b[i+1:]...)
}

func bytesRepeat(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// Every proper prefix of every reference report is rejected, in both formats,
// and leaves the Report empty.
func TestDecodeEveryTruncation(t *testing.T) {
	files := []string{"agent-report-python-long.json", "agent-report-python-long.cbor", "agent-report-python-short.cbor",
		"agent-report-python-long-delta.cbor", "devguide-metrics-report-short.json", "agent-report-embeddedc-demo-short.json"}
	for _, f := range files {
		in := readTestdata(t, f)
		var d Decoder
		for n := range len(in) - 1 {
			// The JSON files end in a newline or brace; cut before the final
			// closing brace at the latest.
			if strings.HasSuffix(f, ".json") && strings.TrimSpace(string(in[n:])) == "" {
				continue
			}
			r := pythonLong.Clone()
			var err error
			if strings.HasSuffix(f, ".cbor") {
				err = d.DecodeCBOR(in[:n], &r)
			} else {
				err = d.DecodeJSON(in[:n], &r)
			}
			require.ErrorIs(t, err, ErrMalformed, "%s[:%d]", f, n)
			require.Equal(t, Report{}, norm(&r), "%s[:%d]", f, n)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	inner := errors.New("boom")
	e := &Error{Path: "met.tp", Msg: "want an object", Err: inner}
	assert.Equal(t, "Malformed metrics report: met.tp: want an object", e.Error())
	assert.ErrorIs(t, e, ErrMalformed)
	assert.ErrorIs(t, e, inner)
	assert.Equal(t, "Malformed metrics report: unexpected data after the report", (&Error{Msg: "unexpected data after the report"}).Error())
}
