package report

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func num(name string, v float64) CustomValue { return CustomValue{Name: name, Kind: Number, Number: v} }

// Expected contents of the reference reports, written out from the files.
var (
	pythonLong = Report{
		ReportID:     1700000000,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{80, 88, 8000, 8000}, Total: 4},
		ListeningUDP: PortList{Present: true, Ports: []uint16{999, 980, 9032}, Total: 3},
		Established: Connections{Present: true, Total: 3,
			RemoteAddrs: addrs("10.10.10.10", "11.11.11.11", "2001:db8:85a3::8a2e:370:7334")},
		Custom: []CustomValue{num("cpu_usage", 50.5)},
	}
	pythonShort = Report{
		ReportID:     1700000000,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{80, 88, 8000, 8000}, Total: 4},
		ListeningUDP: PortList{Present: true, Ports: []uint16{999, 980, 9032}, Total: 3},
		Established:  Connections{Present: true, Total: 2, RemoteAddrs: addrs("10.10.10.10", "11.11.11.11")},
		Custom:       []CustomValue{num("cpu_usage", 50.5)},
	}
	pythonDelta = Report{
		ReportID:     1700000300,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{22}, Total: 1},
		NetworkStats: NetworkStats{Present: true, BytesIn: 1000, BytesOut: 500, PacketsIn: 10, PacketsOut: 20},
	}
	embeddedCBuilder = Report{
		ReportID:     1700000000,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{53, 22, 1883}, Total: 3},
		ListeningUDP: PortList{Present: true, Total: 0},
		NetworkStats: NetworkStats{Present: true, BytesIn: 1932335905, BytesOut: 147230817, PacketsIn: 1872689, PacketsOut: 940337},
		Established:  Connections{Present: true, Total: 2, RemoteAddrs: addrs("34.212.105.174", "52.94.212.197")},
		Custom: []CustomValue{
			num("uptime", 123456),
			num("free_mem", 15052772),
			{Name: "cpu_user_usage", Kind: NumberList, Numbers: []float64{1313090, 10499958}},
			{Name: "network_interface_names", Kind: StringList, Strings: []string{"lo", "eth0"}},
			{Name: "network_interface_addresses", Kind: IPList, IPs: addrs("127.0.0.1", "10.0.2.15")},
		},
	}
	embeddedCDemo = Report{
		ReportID:     1625700661,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{53, 22, 1883}, Total: 3},
		ListeningUDP: PortList{Present: true, Total: 0},
		NetworkStats: NetworkStats{Present: true, BytesIn: 1932335905, BytesOut: 147230817, PacketsIn: 1872689, PacketsOut: 940337},
		Established: Connections{Present: true, Total: 4,
			RemoteAddrs: addrs("34.212.105.174", "52.94.212.197", "52.119.161.149", "205.251.233.52")},
		Custom: []CustomValue{
			{Name: "cpu-usage", Kind: NumberList, Numbers: []float64{1313090, 10499958}},
			{Name: "memory-info", Kind: StringList, Strings: []string{"15807620kB", "15052772kB"}},
		},
	}
	devguideCustom = []CustomValue{
		num("MyMetricOfType_Number", 1),
		{Name: "MyMetricOfType_NumberList", Kind: NumberList, Numbers: []float64{1, 2, 3}},
		{Name: "MyMetricOfType_StringList", Kind: StringList, Strings: []string{"value_1", "value_2"}},
		{Name: "MyMetricOfType_IpList", Kind: IPList, IPs: addrs("172.0.0.0", "172.0.0.10")},
	}
	devguideLong = Report{
		ReportID:     1530304554,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{24800, 22, 53}, Total: 3},
		ListeningUDP: PortList{Present: true, Ports: []uint16{5353, 67}, Total: 2},
		NetworkStats: NetworkStats{Present: true, BytesIn: 29358693495, BytesOut: 26485035, PacketsIn: 10013573555, PacketsOut: 11382615},
		Established:  Connections{Present: true, Total: 2, RemoteAddrs: addrs("192.168.0.1", "192.168.0.1")},
		Custom:       devguideCustom,
	}
	devguideShort = Report{
		ReportID:     1530305228,
		Version:      "1.0",
		ListeningTCP: PortList{Present: true, Ports: []uint16{24800, 22, 53}, Total: 3},
		ListeningUDP: PortList{Present: true, Ports: []uint16{5353, 67}, Total: 2},
		NetworkStats: NetworkStats{Present: true, BytesIn: 29359307173, BytesOut: 26490711, PacketsIn: 10014614051, PacketsOut: 11387620},
		Established:  Connections{Present: true, Total: 2, RemoteAddrs: addrs("192.168.0.1", "192.168.0.1")},
		Custom:       devguideCustom,
	}
	troubleshootAccepted = Report{
		ReportID:     12334567,
		Version:      "1.0",
		NetworkStats: NetworkStats{Present: true, BytesIn: 30680, BytesOut: 10652, PacketsIn: 113, PacketsOut: 118},
		Custom:       []CustomValue{num("my_custom_metric", 0)},
	}
)

// referenceReports are every accepted reference report with its contents.
var referenceReports = []struct {
	file string
	want Report
}{
	{"agent-report-python-long.json", pythonLong},
	{"agent-report-python-short.json", pythonShort},
	{"agent-report-python-long-delta.json", pythonDelta},
	{"agent-report-embeddedc-reportbuilder-long.json", embeddedCBuilder},
	{"agent-report-embeddedc-reportbuilder-short.json", embeddedCBuilder},
	{"agent-report-embeddedc-demo-short.json", embeddedCDemo},
	{"devguide-metrics-report-long.json", devguideLong},
	{"devguide-metrics-report-short.json", devguideShort},
	{"devguide-troubleshoot-report-custom-number-array.input.json", troubleshootAccepted},
}

func TestDecodeJSONReferenceReports(t *testing.T) {
	for _, tc := range referenceReports {
		t.Run(tc.file, func(t *testing.T) {
			r, err := decodeJSON(t, readTestdata(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, norm(&tc.want), norm(&r))
			assert.Empty(t, r.Dropped)
			requireRoundTrip(t, &r)
		})
	}
}

// The same reports as CBOR, converted token by token: the CBOR decoder
// reads them to the same values.
func TestDecodeCBORReferenceReportsConverted(t *testing.T) {
	for _, tc := range referenceReports {
		t.Run(tc.file, func(t *testing.T) {
			b, err := jsonToCBOR(readTestdata(t, tc.file))
			require.NoError(t, err)
			r, err := decodeCBOR(t, b)
			require.NoError(t, err)
			assert.Equal(t, norm(&tc.want), norm(&r))
		})
	}
}

// Each .cbor the Python agent wrote decodes to the same Report as its .json
// twin, and the .cbor.hex beside it holds the same bytes.
func TestDecodeCBORMatchesJSONTwin(t *testing.T) {
	for _, name := range []string{"agent-report-python-long", "agent-report-python-short", "agent-report-python-long-delta"} {
		t.Run(name, func(t *testing.T) {
			raw := readTestdata(t, name+".cbor")
			fromHex, err := hex.DecodeString(strings.TrimSpace(string(readTestdata(t, name+".cbor.hex"))))
			require.NoError(t, err)
			require.Equal(t, raw, fromHex)

			c, err := decodeCBOR(t, raw)
			require.NoError(t, err)
			j, err := decodeJSON(t, readTestdata(t, name+".json"))
			require.NoError(t, err)
			assert.Equal(t, norm(&j), norm(&c))
			assert.NotZero(t, c.ReportID)
		})
	}
}

// What AWS's own agents send and the service accepts, one quirk at a time.
func TestDecodeAgentQuirks(t *testing.T) {
	t.Run("total larger than the sampled list", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"tp":{"pts":[{"port":22}],"t":60},"tc":{"ec":{"cs":[{"rad":"1.2.3.4:5"}],"t":51}}}}`))
		require.NoError(t, err)
		assert.Equal(t, []uint16{22}, r.ListeningTCP.Ports)
		assert.Equal(t, int64(60), r.ListeningTCP.Total)
		assert.Equal(t, int64(51), r.Established.Total)
		assert.Len(t, r.Established.RemoteAddrs, 1)
	})
	t.Run("total absent is the list length", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"up":{"pts":[{"pt":53},{"pt":67}]},"tc":{"ec":{"cs":[{"rad":"1.2.3.4:5"}]}}}}`))
		require.NoError(t, err)
		assert.Equal(t, int64(2), r.ListeningUDP.Total)
		assert.Equal(t, int64(1), r.Established.Total)
	})
	t.Run("duplicate ports kept", func(t *testing.T) {
		r, err := decodeJSON(t, readTestdata(t, "agent-report-python-long.json"))
		require.NoError(t, err)
		assert.Equal(t, []uint16{80, 88, 8000, 8000}, r.ListeningTCP.Ports)
	})
	t.Run("first report without network_stats", func(t *testing.T) {
		r, err := decodeJSON(t, readTestdata(t, "agent-report-python-short.json"))
		require.NoError(t, err)
		assert.False(t, r.NetworkStats.Present)
		assert.Zero(t, r.NetworkStats.BytesIn)
	})
	t.Run("IPv6 [addr]:port and zones", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"tc":{"ec":{"cs":[{"rad":"[2001:db8::1]:443"},{"rad":"[fe80::1%eth0]:22"},{"rad":"192.0.2.1"},{"rad":"[::ffff:192.0.2.9]:80"}]}}}}`))
		require.NoError(t, err)
		assert.Equal(t, addrs("2001:db8::1", "fe80::1", "192.0.2.1", "::ffff:192.0.2.9"), r.Established.RemoteAddrs)
		assert.Empty(t, r.Dropped)
	})
	t.Run("local_port 88888", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"tc":{"ec":{"cs":[{"rad":"11.11.11.11:80","li":"eth0","lp":88888}],"t":1}}}}`))
		require.NoError(t, err)
		assert.Equal(t, addrs("11.11.11.11"), r.Established.RemoteAddrs)
		assert.Empty(t, r.Dropped)
	})
	t.Run("report_id in seconds and milliseconds", func(t *testing.T) {
		for _, id := range []int64{1700000000, 1700000000123, 1} {
			b := []byte(`{"header":{"report_id":` + strconv.FormatInt(id, 10) + `,"version":"1.0"},"custom_metrics":{}}`)
			r, err := decodeJSON(t, b)
			require.NoError(t, err)
			assert.Equal(t, id, r.ReportID)
		}
	})
	t.Run("cJSON %g integers", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1.7e+12,"v":"1.0"},"met":{"ns":{"bi":1.23456789012346e+15,"bo":2.0,"pi":0,"po":-0}}}`))
		require.NoError(t, err)
		assert.Equal(t, int64(1700000000000), r.ReportID)
		assert.Equal(t, NetworkStats{Present: true, BytesIn: 1234567890123460, BytesOut: 2}, r.NetworkStats)
	})
	t.Run("empty blocks are present", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"tp":{"pts":[],"t":0},"ns":{},"tc":{"ec":{}}}}`))
		require.NoError(t, err)
		assert.True(t, r.ListeningTCP.Present)
		assert.Empty(t, r.ListeningTCP.Ports)
		assert.True(t, r.NetworkStats.Present)
		assert.True(t, r.Established.Present)
		assert.False(t, r.ListeningUDP.Present)
	})
	t.Run("tcp_connections without established_connections", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"hed":{"rid":1,"v":"1.0"},"met":{"tc":{}}}`))
		require.NoError(t, err)
		assert.False(t, r.Established.Present)
	})
	t.Run("escaped keys and values", func(t *testing.T) {
		r, err := decodeJSON(t, []byte(`{"h\u0065d":{"rid":1,"v":"1.0"},"cmet":{"n\u0061me":[{"string_list":["a\/b"]}]}}`))
		require.NoError(t, err)
		assert.Equal(t, []CustomValue{{Name: "name", Kind: StringList, Strings: []string{"a/b"}}}, norm(&r).Custom)
	})
	t.Run("self-described CBOR", func(t *testing.T) {
		b := append([]byte{0xd9, 0xd9, 0xf7}, readTestdata(t, "agent-report-python-short.cbor")...)
		r, err := decodeCBOR(t, b)
		require.NoError(t, err)
		assert.Equal(t, norm(&pythonShort), norm(&r))
	})
}
