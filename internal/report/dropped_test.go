package report

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Values that break the value rules are dropped, not rejected: the report is
// accepted, the value is left out and Dropped says where and why.
func TestDecodeDropped(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		dropped []Dropped
		check   func(t *testing.T, r *Report)
	}{
		{
			name:    "port zero",
			in:      `{` + hed + `,"met":{"tp":{"pts":[{"pt":0},{"pt":22}],"t":2}}}`,
			dropped: []Dropped{{metricTCPPorts, "met.tp.pts[0].pt", "port 0 outside 1..65535"}},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, []uint16{22}, r.ListeningTCP.Ports)
				assert.Equal(t, int64(2), r.ListeningTCP.Total, "total is as sent")
			},
		},
		{
			name:    "UDP port above 65535",
			in:      `{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_udp_ports":{"ports":[{"port":88888}]}}}`,
			dropped: []Dropped{{metricUDPPorts, "metrics.listening_udp_ports.ports[0].port", "port 88888 outside 1..65535"}},
			check: func(t *testing.T, r *Report) {
				assert.Empty(t, r.ListeningUDP.Ports)
				assert.Equal(t, int64(0), r.ListeningUDP.Total, "without total, the kept list's length")
			},
		},
		{
			name:    "negative port",
			in:      `{` + hed + `,"met":{"tp":{"pts":[{"pt":-80}]}}}`,
			dropped: []Dropped{{metricTCPPorts, "met.tp.pts[0].pt", "port -80 outside 1..65535"}},
		},
		{
			name:    "port entry without a port",
			in:      `{` + hed + `,"met":{"tp":{"pts":[{"if":"eth0"}]}}}`,
			dropped: []Dropped{{metricTCPPorts, "met.tp.pts[0]", "entry without a port"}},
		},
		{
			name:    "remote_addr not an address",
			in:      `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":"1.2.3.4:80"},{"rad":"example.com:443"}],"t":2}}}}`,
			dropped: []Dropped{{metricDestIPs, "met.tc.ec.cs[1].rad", `remote_addr "example.com:443" is not ip:port`}},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, addrs("1.2.3.4"), r.Established.RemoteAddrs)
				assert.Equal(t, int64(2), r.Established.Total)
			},
		},
		{
			name:    "connection without remote_addr",
			in:      `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"lp":22}]}}}}`,
			dropped: []Dropped{{metricDestIPs, "met.tc.ec.cs[0]", "entry without a remote_addr"}},
		},
		{
			name:    "number with 16 significant digits",
			in:      `{` + hed + `,"cmet":{"big":[{"number":1234567890123456}],"ok":[{"number":123456789012345}]}}`,
			dropped: []Dropped{{"big", "cmet.big[0].number", "more than 15 significant digits"}},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, []CustomValue{num("ok", 123456789012345)}, norm(r).Custom)
			},
		},
		{
			name:    "fraction with 16 significant digits",
			in:      `{` + hed + `,"cmet":{"f":[{"number":0.1234567890123456}],"g":[{"number":-0.123456789012345}]}}`,
			dropped: []Dropped{{"f", "cmet.f[0].number", "more than 15 significant digits"}},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, []CustomValue{num("g", -0.123456789012345)}, norm(r).Custom)
			},
		},
		{
			name:    "number beyond float64",
			in:      `{` + hed + `,"cmet":{"inf":[{"number":1e400}]}}`,
			dropped: []Dropped{{"inf", "cmet.inf[0].number", "not a finite number"}},
		},
		{
			name:    "number_list with one bad element drops the metric",
			in:      `{` + hed + `,"cmet":{"l":[{"number_list":[1,12345678901234567,3,1e999]}]}}`,
			dropped: []Dropped{{"l", "cmet.l[0].number_list[1]", "more than 15 significant digits"}},
			check:   func(t *testing.T, r *Report) { assert.Empty(t, r.Custom) },
		},
		{
			name:    "string_list with a space",
			in:      `{` + hed + `,"cmet":{"s":[{"string_list":["eth0","my value"]}],"n":[{"number":2}]}}`,
			dropped: []Dropped{{"s", "cmet.s[0].string_list[1]", `character ' ' outside A-Z a-z 0-9 : _ - / .`}},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, []CustomValue{num("n", 2)}, norm(r).Custom)
			},
		},
		{
			name:    "string_list with non-ASCII",
			in:      `{` + hed + `,"cmet":{"s":[{"string_list":["caf\u00e9"]}]}}`,
			dropped: []Dropped{{"s", "cmet.s[0].string_list[0]", `character 'é' outside A-Z a-z 0-9 : _ - / .`}},
		},
		{
			name:    "ip_list with a bad address",
			in:      `{` + hed + `,"cmet":{"ips":[{"ip_list":["10.0.0.1","10.0.0"]}]}}`,
			dropped: []Dropped{{"ips", "cmet.ips[0].ip_list[1]", `"10.0.0" is not an IPv4 or IPv6 address`}},
		},
		{
			name: "ip_list with a zone, a port or a prefix",
			in:   `{` + hed + `,"cmet":{"a":[{"ip_list":["fe80::1%eth0"]}],"b":[{"ip_list":["10.0.0.1:80"]}],"c":[{"ip_list":["10.0.0.0/8"]}]}}`,
			dropped: []Dropped{
				{"a", "cmet.a[0].ip_list[0]", `"fe80::1%eth0" is not an IPv4 or IPv6 address`},
				{"b", "cmet.b[0].ip_list[0]", `"10.0.0.1:80" is not an IPv4 or IPv6 address`},
				{"c", "cmet.c[0].ip_list[0]", `"10.0.0.0/8" is not an IPv4 or IPv6 address`},
			},
		},
		{
			name: "unknown keys inside metrics",
			in:   `{` + hed + `,"met":{"kernel_metrics":{"num_of_tasks":7},"tp":{"pts":[{"pt":22,"proto":"tcp"}],"sampled":true},"tc":{"t":3,"ec":{"cs":[{"rad":"1.2.3.4:1","state":"ESTABLISHED"}]}},"ns":{"errors_in":1}}}`,
			dropped: []Dropped{
				{"", "met.kernel_metrics", "unknown key ignored"},
				{"", "met.tp.pts[0].proto", "unknown key ignored"},
				{"", "met.tp.sampled", "unknown key ignored"},
				{"", "met.tc.t", "unknown key ignored"},
				{"", "met.tc.ec.cs[0].state", "unknown key ignored"},
				{"", "met.ns.errors_in", "unknown key ignored"},
			},
			check: func(t *testing.T, r *Report) {
				assert.Equal(t, []uint16{22}, r.ListeningTCP.Ports)
				assert.Equal(t, addrs("1.2.3.4"), r.Established.RemoteAddrs)
				assert.True(t, r.NetworkStats.Present)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeJSON(t, []byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.dropped, r.Dropped)
			if tc.check != nil {
				tc.check(t, &r)
			}
			// The same report as CBOR drops the same things.
			b, err := jsonToCBOR([]byte(tc.in))
			require.NoError(t, err)
			c, err := decodeCBOR(t, b)
			require.NoError(t, err)
			assert.Equal(t, norm(&r), norm(&c))
		})
	}
}

// CBOR agents may send custom numbers as half, single or double floats.
func TestDecodeCBORFloats(t *testing.T) {
	report := func(value []byte) []byte {
		b := []byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
			0x64, 'c', 'm', 'e', 't', 0xa1, 0x61, 'm', 0x81, 0xa1, 0x66, 'n', 'u', 'm', 'b', 'e', 'r'}
		return append(b, value...)
	}
	f32 := func(f float32) []byte { return binary.BigEndian.AppendUint32([]byte{0xfa}, math.Float32bits(f)) }
	f64 := func(f float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xfb}, math.Float64bits(f)) }
	cases := []struct {
		name    string
		value   []byte
		want    float64
		dropped bool
	}{
		{"float64 50.5 (Python agent)", f64(50.5), 50.5, false},
		{"float32 0.1 means 0.1", f32(0.1), 0.1, false},
		{"float32 integral", f32(16777216), 16777216, false},
		{"float32 negative fraction", f32(-3.14159), -3.14159, false},
		{"float16 1.5", []byte{0xf9, 0x3e, 0x00}, 1.5, false},
		{"float16 -0", []byte{0xf9, 0x80, 0x00}, 0, false},
		{"negative integer", []byte{0x38, 0x63}, -100, false},
		{"uint64 1e15 has 16 digits in its text", []byte{0x1b, 0x00, 0x03, 0x8d, 0x7e, 0xa4, 0xc6, 0x80, 0x00}, 0, true},
		{"uint64 1e14 has 15", []byte{0x1b, 0x00, 0x00, 0x5a, 0xf3, 0x10, 0x7a, 0x40, 0x00}, 1e14, false},
		{"float64 1e15 has one", f64(1e15), 1e15, false},
		{"uint64 with 16 significant digits", []byte{0x1b, 0x00, 0x04, 0x62, 0xd5, 0x3c, 0x8a, 0xba, 0xc0}, 0, true},
		{"float64 NaN", f64(math.NaN()), 0, true},
		{"float16 +Inf", []byte{0xf9, 0x7c, 0x00}, 0, true},
		{"float32 -Inf", f32(float32(math.Inf(-1))), 0, true},
		{"float64 with 17 digits", f64(math.Nextafter(0.3, 1)), 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeCBOR(t, report(tc.value))
			require.NoError(t, err)
			if tc.dropped {
				assert.Empty(t, r.Custom)
				require.Len(t, r.Dropped, 1)
				assert.Equal(t, "cmet.m[0].number", r.Dropped[0].Path)
				return
			}
			assert.Empty(t, r.Dropped)
			require.Len(t, r.Custom, 1)
			assert.Equal(t, tc.want, r.Custom[0].Number)
		})
	}
}

// fxamacker/cbor with its most compact float encoding gives the same Report
// as the float64 a JSON agent's value would be.
func TestDecodeCBORShortestFloats(t *testing.T) {
	em, err := cbor.EncOptions{ShortestFloat: cbor.ShortestFloat16}.EncMode()
	require.NoError(t, err)
	j, err := decodeJSON(t, readTestdata(t, "agent-report-embeddedc-reportbuilder-long.json"))
	require.NoError(t, err)
	b, err := em.Marshal(toWire(t, &j))
	require.NoError(t, err)
	c, err := decodeCBOR(t, b)
	require.NoError(t, err)
	assert.Equal(t, norm(&j), norm(&c))
}
