package report

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireScanAgrees decodes b with DecodeJSON's fast path alone and with the
// jsontext path, and requires that whatever the fast path accepts the
// jsontext path accepts with the same Report. It returns whether the fast
// path took b.
func requireScanAgrees(t *testing.T, b []byte, warm *Decoder) bool {
	var fast, slow Report
	ok := warm.scanJSON(b, &fast)
	var d Decoder
	err := d.decodeJSONTokens(b, &slow)
	if !ok {
		return false
	}
	require.NoError(t, err, "the fast path accepted what jsontext rejects: %q", b)
	require.Equal(t, norm(&slow), norm(&fast), "%q", b)
	return true
}

// The fast path takes every valid reference report (the seed files and the
// reports the tests build), else the benchmark would measure the jsontext
// path; and it agrees with the jsontext path on each.
func TestScanTakesValidReports(t *testing.T) {
	var warm Decoder
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		b := readTestdata(t, filepath.Base(name))
		var r Report
		if (&Decoder{}).decodeJSONTokens(b, &r) != nil {
			continue // a rejected devguide report
		}
		assert.True(t, requireScanAgrees(t, b, &warm), "%s", b)
	}
	for _, in := range []string{
		`{` + hed + `,"met":{"kernel_metrics":{"x":[1,{"y":null,"z":[true,false,-0.5e+3,""]},[],{}]}}}`,
		" \t\r\n{ \"hed\" : { \"rid\" : 1 , \"v\" : \"1.0\" } , \"met\" : { \"tp\" : { \"pts\" : [ { \"pt\" : 22 } , { \"pt\" : 0 } ] } } }\n ",
		`{` + hed + `,"met":{"ns":{"bi":1.5e3,"bo":-0,"pi":12345678901234567890e-2,"po":9223372036854775807}}}`,
		`{` + hed + `,"cmet":{"ü":[{"string_list":["a b","é"]}],"n":[{"number_list":[1e400,-1e-400,0.1,123456789012345678]}]}}`,
		`{` + hed + `,"cmet":{"i":[{"ip_list":["::1","fe80::1%1","x"]}]}}`,
	} {
		assert.True(t, requireScanAgrees(t, []byte(in), &warm), "%s", in)
	}
}

// What the fast path hands to the jsontext path still decodes as before:
// escapes (jsontext unquotes them), nesting deeper than the scanner follows,
// and every malformed report, with the jsontext path's error.
func TestScanGivesUpToJSONText(t *testing.T) {
	deep := strings.Repeat("[", maxScanDepth+2) + strings.Repeat("]", maxScanDepth+2) // the innermost [] is no level
	for _, in := range []string{
		`{"hed":{"rid":1,"v":"1\u002e0"},"met":{}}`,
		`{` + hed + `,"cmet":{"a\/b":[{"number":1}]}}`,
		`{` + hed + `,"met":{"x":` + deep + `}}`,
	} {
		var d Decoder
		var r Report
		require.False(t, d.scanJSON([]byte(in), &r), in)
		var want Report
		require.NoError(t, (&Decoder{}).decodeJSONTokens([]byte(in), &want), in)
		require.NoError(t, d.DecodeJSON([]byte(in), &r), in)
		assert.Equal(t, norm(&want), norm(&r), in)
	}
	for _, tc := range malformedReports {
		var d Decoder
		var r Report
		require.False(t, d.scanJSON([]byte(tc.in), &r), tc.name)
	}
}

// FuzzDecodeJSONScannerAgrees checks the fast path against the jsontext path
// on arbitrary input: it may give up on anything, but what it accepts must
// be valid JSON that decodes to the same Report.
func FuzzDecodeJSONScannerAgrees(f *testing.F) {
	for _, b := range seedFiles(f, ".json") {
		f.Add(b)
	}
	for _, tc := range malformedReports {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`{` + hed + `,"met":{"kernel_metrics":{"x":[1,{"y":null,"z":[true,false,-0.5e+3,""]},[],{}]}}}`))
	f.Add([]byte(`{` + hed + `,"cmet":{"n":[{"number_list":[1e400,-0,0.1,123456789012345678]}],"s":[{"string_list":["é"]}]}}`))
	f.Add([]byte(`{"hed":{"rid":12345678901234567890,"v":"1.0"},"met":{"ns":{"bi":1.5e3}}}`))
	f.Add([]byte(`{` + hed + `,"met":{"tp":{"pts":[{"pt": 53},{"port":80,"interface":"eth0"},{"pt":0},{"pt":65536,"if":"x"}],"t":4}}}`))
	var warm Decoder
	f.Fuzz(func(t *testing.T, b []byte) {
		requireScanAgrees(t, b, &warm)
	})
}

// quotes and special flag, as their lowest marked byte, exactly the first
// byte that plain does not pass (quotes the '"', special the others),
// whatever surrounds it.
func TestSpecialAgreesWithPlain(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{'a', ' ', 0x7f} {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				x := binary.LittleEndian.Uint64(w[:])
				q, m := quotes(x), special(x)
				switch {
				case plain[c]:
					require.Zero(t, q|m, "byte %#x at %d", c, pos)
				case c == '"':
					require.Zero(t, m, "byte %#x at %d", c, pos)
					require.Equal(t, pos, bits.TrailingZeros64(q)/8, "byte %#x at %d", c, pos)
				default:
					require.Zero(t, q, "byte %#x at %d", c, pos)
					require.Equal(t, pos, bits.TrailingZeros64(m)/8, "byte %#x at %d", c, pos)
				}
			}
		}
	}
}

// scanString finds the end of every string shape, or gives up, as a plain
// byte-by-byte reading does, wherever the string sits in the eight-byte
// windows.
func TestScanStringAgreesWithBytewise(t *testing.T) {
	bytewise := func(b []byte, start int) int {
		i := start
		for i < len(b) && (plain[b[i]] || b[i] >= 0x80) {
			i++
		}
		if i >= len(b) || b[i] != '"' || !utf8.Valid(b[start:i]) {
			return -1
		}
		return i
	}
	contents := []string{"", "a", "port", "interface", "established_connections", "é", "aé", "\\n", "a\"", "\x01", "\x7f", "\xff", "ab\xc3", "\xe2\x82\xac",
		"0123456789abcde\\", "0123456789abcdef\x01", "0123456789abcdefé", "0123456\x1f89"}
	for _, c := range contents {
		for pad := range 17 {
			for _, tail := range []string{`"`, `":1}`, `"` + strings.Repeat("x", 9), ``, `\"`} {
				b := []byte(strings.Repeat(" ", pad) + `"` + c + tail)
				want := bytewise(b, pad+1)
				require.Equal(t, want, scanString(b, pad+1), "%q", b)
				// str and key read the first sixteen bytes inline.
				s := jsonScanner{b: b}
				v, err := s.str()
				if want < 0 {
					require.Error(t, err, "%q", b)
				} else {
					require.NoError(t, err, "%q", b)
					require.Equal(t, b[pad+1:want], v, "%q", b)
				}
				kb := append(b[:len(b):len(b)], ':')
				s = jsonScanner{b: kb}
				k, ok, err := s.key()
				if want >= 0 && kb[want+1] == ':' { // a key and its colon
					require.NoError(t, err, "%q", kb)
					require.True(t, ok, "%q", kb)
					require.Equal(t, b[pad+1:want], k, "%q", kb)
				} else {
					require.False(t, ok && err == nil, "%q", kb)
				}
			}
		}
	}
}

// The number fast path (shortDecimal) gives what ParseFloat and
// significantDigits give, the sign of zero included: on chosen literals and
// on random decimals of up to 17 digits with the point anywhere.
func TestScanNumberFastPathAgrees(t *testing.T) {
	lits := []string{"1", "-1", "0", "-0", "1000", "123456789012345", "-123456789012345",
		"1234567890123456", "-1234567890123456", "999999999999999", "50.5", "1e3", "-0.0", "0.0",
		"12345678901234567890", "0.1", "0.3", "-0.000000000000001", "0.00000000000001", "9007199254740993",
		"99999999999999.9", "0.123456789012345", "1.7976931348623157e308"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		d := []byte{byte('1' + rng.IntN(9))}
		for range rng.IntN(17) {
			d = append(d, byte('0'+rng.IntN(10)))
		}
		digits := string(d)
		lit := digits
		if p := rng.IntN(len(digits) + 1); p < len(digits) {
			lit = digits[:p] + "." + digits[p:]
			if p == 0 {
				lit = "0" + lit
			}
		}
		if rng.IntN(2) == 0 {
			lit = "-" + lit
		}
		lits = append(lits, lit)
	}
	for _, lit := range lits {
		s := jsonScanner{b: []byte(lit + ",")}
		f, digits, err := s.number()
		require.NoError(t, err, lit)
		want, _ := strconv.ParseFloat(lit, 64)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(f), lit)
		assert.Equal(t, significantDigits([]byte(lit)), digits, lit)
		assert.Equal(t, len(lit), s.i, lit)
	}
}

// plainPort reads exactly the port entries that walkPort takes whole, in
// the agents' shapes, and leaves every other entry unread; a report of
// each entry decodes on the fast path as on the jsontext path either way.
func TestPlainPortTakesTheAgentsShapesOnly(t *testing.T) {
	for _, tc := range []struct {
		entry string
		port  int64 // 0: plainPort leaves the entry to walkPort
	}{
		{`{"port":80,"interface":"eth0"}`, 80}, // the Python agent
		{`{"pt": 53}`, 53},                     // the Embedded C SDK
		{`{"port": 1883}`, 1883},
		{`{"pt":22,"if":"wlan0"}`, 22},
		{`{"pt":22, "if": "wlan0"}`, 22},
		{` {"pt": 53}`, 53},
		{`{"port":1}`, 1},
		{`{"port":65535}`, 65535},
		{`{"port":80,"interface":"é"}`, 80},
		{`{"port":80,"interface":""}`, 80},
		{`{"port":0}`, 0}, // dropped by walkPort
		{`{"port":65536}`, 0},
		{`{"port":99999}`, 0},
		{`{"port":123456}`, 0},
		{`{"port":080}`, 0}, // not JSON
		{`{"port":80.0}`, 0},
		{`{"port":8e1}`, 0},
		{`{"port":-1}`, 0},
		{`{"port":"80"}`, 0},
		{`{"port":80 }`, 0},
		{`{ "port":80}`, 0},
		{`{"port":  80}`, 0},
		{`{"port":80,  "if":"x"}`, 0},
		{`{"interface":"eth0","port":80}`, 0},
		{`{"port":80,"interface":"eth0","x":1}`, 0},
		{`{"port":80,"interface":"e\"th0"}`, 0},
		{`{"port":80,"interface":"a` + "\x01" + `"}`, 0},
		{`{"port":80,"interface":1}`, 0},
		{`{"port":80,"port":81}`, 0},
		{`{"port":80,"pt":81}`, 0},
		{`{"port":80,}`, 0},
		{`{"port":80`, 0},
		{`{"port":80,"interface":"eth0"`, 0},
		{`{"x":1,"port":80}`, 0},
		{`{"ab":22}`, 0},
		{`{"port"x80}`, 0},
		{`{"port" :80}`, 0},
		{`{"porT":22}`, 0},
		{`{"pt":22,"interfaxe":"eth0"}`, 0},
		{`{"pt":22,"Interface":"eth0"}`, 0},
		{`{"pt":22,"iF":"eth0"}`, 0},
		{`{}`, 0},
		{`[]`, 0},
		{``, 0},
	} {
		t.Run(tc.entry, func(t *testing.T) {
			s := jsonScanner{b: []byte(tc.entry)}
			port, ok := s.plainPort()
			if tc.port == 0 {
				assert.False(t, ok)
				assert.Zero(t, s.i, "an entry left to walkPort is left unread")
				assert.False(t, s.after)
			} else {
				require.True(t, ok)
				assert.Equal(t, tc.port, port)
				assert.Equal(t, len(tc.entry), s.i)
				assert.True(t, s.after)
			}
			var warm Decoder
			for _, list := range []string{tc.entry, tc.entry + `,{"pt":7}`, `{"pt":7},` + tc.entry} {
				report := `{` + hed + `,"met":{"tp":{"pts":[` + list + `]},"up":{"ports":[` + list + `]}}}`
				took := requireScanAgrees(t, []byte(report), &warm)
				if tc.port != 0 {
					assert.True(t, took, "the fast path took %s", report)
				}
			}
		})
	}
}
