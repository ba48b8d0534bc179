package ruledetect

// The reports in testdata/aws (copied from reference/aws: real agent output,
// the developer guide's examples) ingest as documented (DESIGN rule 5, the
// "Device metrics document specification"), and the JSON and CBOR encodings
// of one report give identical datapoints.
//
// Every behavior of reportsProfile is written so that no value a report can
// carry is normal (a behavior describes normal behavior, rule 1): counts
// `less-than 0`, lists in a set no report uses. So every rpPoint raises an
// in-alarm event carrying its metricValue, and the events of one report, on a
// fresh engine, are exactly its datapoints. (An empty list is compliant, rule
// 2: it raises no event, which the tests check too.)

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// reportsT0 is a period boundary; reports are rpIngest just after it.
var reportsT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// reportsCustomMetrics are the custom metrics of every report in testdata/aws.
var reportsCustomMetrics = map[string]string{
	"cpu_usage":                   "number",
	"uptime":                      "number",
	"free_mem":                    "number",
	"cpu_user_usage":              "number-list",
	"network_interface_names":     "string-list",
	"network_interface_addresses": "ip-address-list",
	"cpu-usage":                   "number-list",
	"memory-info":                 "string-list",
	"MyMetricOfType_Number":       "number",
	"MyMetricOfType_NumberList":   "number-list",
	"MyMetricOfType_StringList":   "string-list",
	"MyMetricOfType_IpList":       "ip-address-list",
	"my_custom_metric":            "number",
}

// reportsProfile has one behavior per device-side metric, none of whose
// datapoints is normal (except empty lists).
func reportsProfile() string {
	const never = `"comparisonOperator":"less-than","value":{"count":0}`
	behaviors := []string{
		`{"name":"tcp-ports","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[1]}}}`,
		`{"name":"udp-ports","metric":"aws:listening-udp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[1]}}}`,
		`{"name":"tcp-port-count","metric":"aws:num-listening-tcp-ports","criteria":{` + never + `}}`,
		`{"name":"udp-port-count","metric":"aws:num-listening-udp-ports","criteria":{` + never + `}}`,
		`{"name":"established","metric":"aws:num-established-tcp-connections","criteria":{` + never + `}}`,
		`{"name":"destinations","metric":"aws:destination-ip-addresses","criteria":{"comparisonOperator":"in-cidr-set","value":{"cidrs":["255.255.255.255/32"]}}}`,
		`{"name":"bytes-in","metric":"aws:all-bytes-in","criteria":{` + never + `,"durationSeconds":300}}`,
		`{"name":"bytes-out","metric":"aws:all-bytes-out","criteria":{` + never + `,"durationSeconds":300}}`,
		`{"name":"packets-in","metric":"aws:all-packets-in","criteria":{` + never + `,"durationSeconds":300}}`,
		`{"name":"packets-out","metric":"aws:all-packets-out","criteria":{` + never + `,"durationSeconds":300}}`,
	}
	for _, name := range rpSortedKeys(reportsCustomMetrics) {
		var crit string
		switch reportsCustomMetrics[name] {
		case "number":
			crit = `"comparisonOperator":"less-than","value":{"number":-1000000}`
		case "number-list":
			crit = `"comparisonOperator":"in-set","value":{"numbers":[-1]}`
		case "string-list":
			crit = `"comparisonOperator":"in-set","value":{"strings":["never-reported"]}`
		case "ip-address-list":
			crit = `"comparisonOperator":"in-cidr-set","value":{"cidrs":["255.255.255.255/32"]}`
		}
		behaviors = append(behaviors, fmt.Sprintf(`{"name":"custom-%s","metric":%q,"criteria":{%s}}`, name, name, crit))
	}
	return `{"securityProfileName":"reports","behaviors":[` + strings.Join(behaviors, ",") + `]}`
}

func rpSortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// rpNewEngine returns an engine with the custom metrics and the profile
// of these tests, attached to all things.
func rpNewEngine(t *testing.T, opts ...Option) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := New(opts...)
	require.NoError(t, err)
	for _, name := range rpSortedKeys(reportsCustomMetrics) {
		_, err := e.CreateCustomMetric(ctx, CreateCustomMetricInput{MetricName: name, MetricType: reportsCustomMetrics[name]})
		require.NoError(t, err, name)
	}
	sp, err := behavior.ParseSecurityProfile([]byte(reportsProfile()))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "reports", e.Arn("all/things")))
	return e
}

// rpIngest is one report to ingest: its bytes, format and offset from reportsT0.
type rpIngest struct {
	data   []byte
	format ReportFormat
	at     time.Duration
}

// ingestReports ingests the reports as thing "dev-1" on a fresh engine,
// advances past their last window and returns the events.
func rpIngestReports(t *testing.T, reports []rpIngest, opts ...Option) []ViolationEvent {
	ctx := context.Background()
	t.Helper()
	e := rpNewEngine(t, opts...)
	var last time.Duration
	for i, r := range reports {
		res, err := e.IngestReport(ctx, "dev-1", reportsT0.Add(r.at), r.format, r.data)
		require.NoError(t, err, "report %d", i)
		for _, d := range res.Dropped {
			t.Logf("report %d: dropped %s %s: %s", i, d.Metric, d.Path, d.Reason)
		}
		last = max(last, r.at)
	}
	e.Advance(ctx, reportsT0.Add((last/(300*time.Second)+1)*300*time.Second))
	return rpAllEvents(t, e)
}

func rpAllEvents(t *testing.T, e *Engine) []ViolationEvent {
	ctx := context.Background()
	t.Helper()
	var out []ViolationEvent
	for ev, err := range e.ViolationEvents(ctx, ListViolationEventsInput{
		StartTime: behavior.At(time.Unix(0, 0)),
		EndTime:   behavior.At(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)),
	}) {
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

// rpPoint is what a test expects of one event: its behavior, time offset
// and metricValue.
type rpPoint struct {
	at    time.Duration
	value behavior.MetricValue
}

// eventsByBehavior checks that every event is an in-alarm and returns them by
// behavior name (one each: every report here is alone on its engine or in its
// own window).
func rpByBehavior(t *testing.T, evs []ViolationEvent) map[string][]rpPoint {
	t.Helper()
	out := map[string][]rpPoint{}
	for _, ev := range evs {
		require.Equal(t, "in-alarm", string(ev.ViolationEventType), "%s", ev.Behavior.Name)
		require.NotNil(t, ev.MetricValue, "%s", ev.Behavior.Name)
		out[ev.Behavior.Name] = append(out[ev.Behavior.Name], rpPoint{ev.ViolationEventTime.Sub(reportsT0), *ev.MetricValue})
	}
	return out
}

func rpCount(n int64) behavior.MetricValue    { return behavior.MetricValue{Count: &n} }
func rpNumber(f float64) behavior.MetricValue { return behavior.MetricValue{Number: &f} }
func rpPorts(p ...int64) behavior.MetricValue {
	return behavior.MetricValue{Ports: append([]int64{}, p...)}
}
func rpCIDRs(c ...string) behavior.MetricValue {
	return behavior.MetricValue{CIDRs: append([]string{}, c...)}
}
func rpNumbers(f ...float64) behavior.MetricValue {
	return behavior.MetricValue{Numbers: append([]float64{}, f...)}
}
func rpStrings(s ...string) behavior.MetricValue {
	return behavior.MetricValue{Strings: append([]string{}, s...)}
}

// at10 is a rpPoint of a per-report metric of a report rpIngest at +10 s;
// win is one of a windowed metric, at the end of that window (+300 s).
func rpAt10(v behavior.MetricValue) []rpPoint { return []rpPoint{{10 * time.Second, v}} }
func rpWin(v behavior.MetricValue) []rpPoint  { return []rpPoint{{300 * time.Second, v}} }

func rpReadAWS(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	require.NoError(t, err)
	return b
}

// jsonToCBOR re-encodes a JSON report as CBOR: integers stay integers,
// other numbers become float64, as a device's CBOR encoder writes them.
func rpJSONToCBOR(t testing.TB, data []byte) []byte {
	t.Helper()
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	var conv func(any) any
	conv = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = conv(x)
			}
		case []any:
			for i, x := range v {
				v[i] = conv(x)
			}
		case stdjson.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
			f, err := v.Float64()
			require.NoError(t, err)
			return f
		}
		return v
	}
	b, err := cbor.Marshal(conv(v))
	require.NoError(t, err)
	return b
}

// Expected datapoints of each report. Counts come from `total`; lists keep
// the report's order and duplicates; IPv6 addresses are in their canonical
// text form (RFC 5952).
var (
	pythonLong = map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(80, 88, 8000, 8000)), // the agent lists port 8000 twice
		"tcp-port-count": rpAt10(rpCount(4)),
		"udp-ports":      rpAt10(rpPorts(999, 980, 9032)),
		"udp-port-count": rpAt10(rpCount(3)),
		"established":    rpAt10(rpCount(3)),
		// "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:80"; local_port 88888 is
		// not a metric, so its connection still counts.
		"destinations":     rpAt10(rpCIDRs("10.10.10.10", "11.11.11.11", "2001:db8:85a3::8a2e:370:7334")),
		"custom-cpu_usage": rpAt10(rpNumber(50.5)),
		// No network_stats in the agent's first report: no all-* datapoints.
	}
	pythonShort = map[string][]rpPoint{
		// Short keys outside, long keys inside the port entries, as the agent writes them.
		"tcp-ports":        rpAt10(rpPorts(80, 88, 8000, 8000)),
		"tcp-port-count":   rpAt10(rpCount(4)),
		"udp-ports":        rpAt10(rpPorts(999, 980, 9032)),
		"udp-port-count":   rpAt10(rpCount(3)),
		"established":      rpAt10(rpCount(2)),
		"destinations":     rpAt10(rpCIDRs("10.10.10.10", "11.11.11.11")),
		"custom-cpu_usage": rpAt10(rpNumber(50.5)),
	}
	pythonDelta = map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(22)),
		"tcp-port-count": rpAt10(rpCount(1)),
		"bytes-in":       rpWin(rpCount(1000)),
		"bytes-out":      rpWin(rpCount(500)),
		"packets-in":     rpWin(rpCount(10)),
		"packets-out":    rpWin(rpCount(20)),
	}
	embeddedCBuilder = map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(53, 22, 1883)),
		"tcp-port-count": rpAt10(rpCount(3)),
		// udp: {"pts":[],"t":0}: the empty list is compliant (no event), the count is 0.
		"udp-port-count": rpAt10(rpCount(0)),
		"established":    rpAt10(rpCount(2)),
		"destinations":   rpAt10(rpCIDRs("34.212.105.174", "52.94.212.197")),
		// Cumulative /proc/net/dev counters, taken as deltas by default.
		"bytes-in":                           rpWin(rpCount(1932335905)),
		"bytes-out":                          rpWin(rpCount(147230817)),
		"packets-in":                         rpWin(rpCount(1872689)),
		"packets-out":                        rpWin(rpCount(940337)),
		"custom-uptime":                      rpAt10(rpNumber(123456)),
		"custom-free_mem":                    rpAt10(rpNumber(15052772)),
		"custom-cpu_user_usage":              rpAt10(rpNumbers(1313090, 10499958)),
		"custom-network_interface_names":     rpAt10(rpStrings("lo", "eth0")),
		"custom-network_interface_addresses": rpAt10(rpCIDRs("127.0.0.1", "10.0.2.15")),
	}
	embeddedCDemo = map[string][]rpPoint{
		"tcp-ports":        rpAt10(rpPorts(53, 22, 1883)),
		"tcp-port-count":   rpAt10(rpCount(3)),
		"udp-port-count":   rpAt10(rpCount(0)),
		"established":      rpAt10(rpCount(4)),
		"destinations":     rpAt10(rpCIDRs("34.212.105.174", "52.94.212.197", "52.119.161.149", "205.251.233.52")),
		"bytes-in":         rpWin(rpCount(1932335905)),
		"bytes-out":        rpWin(rpCount(147230817)),
		"packets-in":       rpWin(rpCount(1872689)),
		"packets-out":      rpWin(rpCount(940337)),
		"custom-cpu-usage": rpAt10(rpNumbers(1313090, 10499958)),
		// memory-info ["15807620kB","15052772kB"]: see TestReportsEmbeddedCDemoStrings.
	}
	devguideCustom = map[string][]rpPoint{
		"custom-MyMetricOfType_Number":     rpAt10(rpNumber(1)),
		"custom-MyMetricOfType_NumberList": rpAt10(rpNumbers(1, 2, 3)),
		"custom-MyMetricOfType_StringList": rpAt10(rpStrings("value_1", "value_2")),
		"custom-MyMetricOfType_IpList":     rpAt10(rpCIDRs("172.0.0.0", "172.0.0.10")),
	}
	devguideLong = rpMerge(devguideCustom, map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(24800, 22, 53)),
		"tcp-port-count": rpAt10(rpCount(3)),
		"udp-ports":      rpAt10(rpPorts(5353, 67)),
		"udp-port-count": rpAt10(rpCount(2)),
		"established":    rpAt10(rpCount(2)),
		"destinations":   rpAt10(rpCIDRs("192.168.0.1", "192.168.0.1")),
		"bytes-in":       rpWin(rpCount(29358693495)),
		"bytes-out":      rpWin(rpCount(26485035)),
		"packets-in":     rpWin(rpCount(10013573555)),
		"packets-out":    rpWin(rpCount(11382615)),
	})
	devguideShort = rpMerge(devguideCustom, map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(24800, 22, 53)),
		"tcp-port-count": rpAt10(rpCount(3)),
		"udp-ports":      rpAt10(rpPorts(5353, 67)),
		"udp-port-count": rpAt10(rpCount(2)),
		"established":    rpAt10(rpCount(2)),
		"destinations":   rpAt10(rpCIDRs("192.168.0.1", "192.168.0.1")),
		"bytes-in":       rpWin(rpCount(29359307173)),
		"bytes-out":      rpWin(rpCount(26490711)),
		"packets-in":     rpWin(rpCount(10014614051)),
		"packets-out":    rpWin(rpCount(11387620)),
	})
	troubleshootAccepted = map[string][]rpPoint{
		"bytes-in":                rpWin(rpCount(30680)),
		"bytes-out":               rpWin(rpCount(10652)),
		"packets-in":              rpWin(rpCount(113)),
		"packets-out":             rpWin(rpCount(118)),
		"custom-my_custom_metric": rpAt10(rpNumber(0)),
	}
)

func rpMerge(ms ...map[string][]rpPoint) map[string][]rpPoint {
	out := map[string][]rpPoint{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var reportCases = []struct {
	file string
	cbor string // the agent's own CBOR of the same report, if any
	want map[string][]rpPoint
}{
	{"agent-report-python-long.json", "agent-report-python-long.cbor", pythonLong},
	{"agent-report-python-short.json", "agent-report-python-short.cbor", pythonShort},
	{"agent-report-python-long-delta.json", "agent-report-python-long-delta.cbor", pythonDelta},
	{"agent-report-embeddedc-reportbuilder-long.json", "", embeddedCBuilder},
	{"agent-report-embeddedc-reportbuilder-short.json", "", embeddedCBuilder},
	{"agent-report-embeddedc-demo-short.json", "", embeddedCDemo},
	{"reports-embedded-c-demo-short-names.json", "", embeddedCDemo},
	{"devguide-metrics-report-long.json", "", devguideLong},
	{"reports-docs-long-names.json", "", devguideLong},
	{"devguide-metrics-report-short.json", "", devguideShort},
	{"reports-docs-short-names.json", "", devguideShort},
	{"devguide-troubleshoot-report-custom-number-array.input.json", "", troubleshootAccepted},
	{"reports-troubleshoot-custom-number-accepted.json", "", troubleshootAccepted},
}

// marshalEvents is the events' JSON, one line each, for comparing two runs.
func rpMarshal(t *testing.T, evs []ViolationEvent) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, ev := range evs {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		out[i] = string(b)
	}
	return out
}

func TestReportsIngestAsDocumented(t *testing.T) {
	for _, tc := range reportCases {
		t.Run(tc.file, func(t *testing.T) {
			data := rpReadAWS(t, tc.file)
			evs := rpIngestReports(t, []rpIngest{{data, JSON, 10 * time.Second}})
			got := rpByBehavior(t, evs)
			if tc.file != "agent-report-embeddedc-demo-short.json" && tc.file != "reports-embedded-c-demo-short-names.json" {
				assert.Equal(t, tc.want, got)
			} else {
				delete(got, "custom-memory-info") // TestReportsEmbeddedCDemoStrings
				assert.Equal(t, tc.want, got)
			}
			_, udpEvent := got["udp-ports"]
			_, udpCount := tc.want["udp-port-count"]
			if udpCount && !udpEvent {
				// Present but empty: compliant, so the count is the only trace.
				assert.Equal(t, rpAt10(rpCount(0)), got["udp-port-count"])
			}

			jsonLines := rpMarshal(t, evs)
			cborData := rpJSONToCBOR(t, data)
			if tc.cbor != "" {
				agent := rpReadAWS(t, tc.cbor)
				assert.Equal(t, jsonLines, rpMarshal(t, rpIngestReports(t, []rpIngest{{agent, CBOR, 10 * time.Second}})),
					"the agent's CBOR gives the same events as its JSON")
			}
			assert.Equal(t, jsonLines, rpMarshal(t, rpIngestReports(t, []rpIngest{{cborData, CBOR, 10 * time.Second}})),
				"the report re-encoded as CBOR gives the same events")
		})
	}
}

// The embedded-C demo's memory-info strings ("15807620kB") have digits, which
// the published value rules for string-list do not list (letters and
// ":_-/."); the service silently does not retain such values. Whatever the
// engine decides, it must say so in IngestResult.Dropped when it leaves them
// out, and JSON and CBOR must agree (checked above).
func TestReportsEmbeddedCDemoStrings(t *testing.T) {
	ctx := context.Background()
	e := rpNewEngine(t)
	res, err := e.IngestReport(ctx, "dev-1", reportsT0.Add(10*time.Second), JSON, rpReadAWS(t, "agent-report-embeddedc-demo-short.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(1625700661), res.ReportID, "header.rid of the report, echoed by the broker's accepted reply")
	e.Advance(ctx, reportsT0.Add(300*time.Second))
	got := rpByBehavior(t, rpAllEvents(t, e))
	mem, ok := got["custom-memory-info"]
	droppedMem := 0
	for _, d := range res.Dropped {
		if d.Metric == "memory-info" {
			droppedMem++
		}
	}
	t.Logf("memory-info: events %v, dropped %d", mem, droppedMem)
	if ok {
		assert.Equal(t, rpAt10(rpStrings("15807620kB", "15052772kB")), mem)
		assert.Zero(t, droppedMem)
	} else {
		assert.NotZero(t, droppedMem, "left out without saying so")
	}
}

// The Python agent samples its lists down to 50 entries while `total` keeps
// the real count: the count metrics come from total, the list metrics from the
// list (SOURCES.md §5).
func TestReportsTotalLargerThanList(t *testing.T) {
	var pts, conns []string
	var wantPorts []int64
	var wantAddrs []string
	for i := range 50 {
		pts = append(pts, fmt.Sprintf(`{"port":%d,"interface":"eth0"}`, 1000+i))
		wantPorts = append(wantPorts, int64(1000+i))
	}
	for i := range 50 {
		conns = append(conns, fmt.Sprintf(`{"remote_addr":"198.51.100.%d:443","local_interface":"eth0","local_port":%d}`, i+1, 40000+i))
		wantAddrs = append(wantAddrs, fmt.Sprintf("198.51.100.%d", i+1))
	}
	report := `{"header":{"report_id":1700000000,"version":"1.0"},"metrics":{` +
		`"listening_tcp_ports":{"ports":[` + strings.Join(pts, ",") + `],"total":60},` +
		`"listening_udp_ports":{"ports":[{"port":53,"interface":"eth0"}],"total":7},` +
		`"tcp_connections":{"established_connections":{"connections":[` + strings.Join(conns, ",") + `],"total":75}}}}`
	for _, format := range []ReportFormat{JSON, CBOR} {
		t.Run(format.String(), func(t *testing.T) {
			data := []byte(report)
			if format == CBOR {
				data = rpJSONToCBOR(t, data)
			}
			got := rpByBehavior(t, rpIngestReports(t, []rpIngest{{data, format, 10 * time.Second}}))
			assert.Equal(t, map[string][]rpPoint{
				"tcp-ports":      rpAt10(rpPorts(wantPorts...)),
				"tcp-port-count": rpAt10(rpCount(60)),
				"udp-ports":      rpAt10(rpPorts(53)),
				"udp-port-count": rpAt10(rpCount(7)),
				"established":    rpAt10(rpCount(75)),
				"destinations":   rpAt10(rpCIDRs(wantAddrs...)),
			}, got)
		})
	}

	// Without total, the count is the list's length.
	got := rpByBehavior(t, rpIngestReports(t, []rpIngest{{[]byte(`{"header":{"report_id":1,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[{"port":22},{"port":22},{"port":80}]}}}`), JSON, 10 * time.Second}}))
	assert.Equal(t, map[string][]rpPoint{
		"tcp-ports":      rpAt10(rpPorts(22, 22, 80)),
		"tcp-port-count": rpAt10(rpCount(3)),
	}, got)
}

// Duplicate ports (the Python agent lists port 8000 twice) do not change the
// set operators: a set holding every listed port is compliant.
func TestReportsDuplicatePortsInSet(t *testing.T) {
	ctx := context.Background()
	e, err := New()
	require.NoError(t, err)
	sp, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"dups","behaviors":[
		{"name":"tcp-in","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[80,88,8000]}}},
		{"name":"tcp-not-in","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"not-in-port-set","value":{"ports":[8000]}}}]}`))
	require.NoError(t, err)
	_, err = e.CreateSecurityProfile(ctx, *sp)
	require.NoError(t, err)
	require.NoError(t, e.AttachSecurityProfile(ctx, "dups", e.Arn("all/things")))
	for i, name := range []string{"agent-report-python-long.json", "agent-report-python-short.json"} {
		_, err := e.IngestReport(ctx, "dev-"+name, reportsT0.Add(time.Duration(10+i)*time.Second), JSON, rpReadAWS(t, name))
		require.NoError(t, err)
	}
	e.Advance(ctx, reportsT0.Add(300*time.Second))
	evs := rpAllEvents(t, e)
	require.Len(t, evs, 2, "only the not-in behavior, once per thing")
	for _, ev := range evs {
		assert.Equal(t, "tcp-not-in", ev.Behavior.Name)
		assert.Equal(t, rpPorts(80, 88, 8000, 8000), *ev.MetricValue)
	}
}

// The Python agent's first report has no network_stats (no delta yet): it
// gives no all-* rpPoint, and the second report's deltas are the window's
// values. Deltas of two reports in one window are summed.
func TestReportsNetworkStatsDeltas(t *testing.T) {
	first := rpReadAWS(t, "agent-report-python-long.json")
	second := rpReadAWS(t, "agent-report-python-long-delta.json")
	troubleshoot := rpReadAWS(t, "devguide-troubleshoot-report-custom-number-array.input.json")

	t.Run("first report without network_stats", func(t *testing.T) {
		got := rpByBehavior(t, rpIngestReports(t, []rpIngest{{first, JSON, 10 * time.Second}, {second, JSON, 310 * time.Second}}))
		for _, m := range []string{"bytes-in", "bytes-out", "packets-in", "packets-out"} {
			want := map[string]int64{"bytes-in": 1000, "bytes-out": 500, "packets-in": 10, "packets-out": 20}[m]
			assert.Equal(t, []rpPoint{{600 * time.Second, rpCount(want)}}, got[m], "%s: nothing at 00:05, the delta at 00:10", m)
		}
		// The per-report metrics alarmed on the first report and stay in alarm.
		assert.Equal(t, rpAt10(rpPorts(80, 88, 8000, 8000)), got["tcp-ports"])
	})
	t.Run("deltas summed in a window", func(t *testing.T) {
		for _, format := range []ReportFormat{JSON, CBOR} {
			a, b := troubleshoot, second
			if format == CBOR {
				a, b = rpJSONToCBOR(t, a), rpReadAWS(t, "agent-report-python-long-delta.cbor")
			}
			got := rpByBehavior(t, rpIngestReports(t, []rpIngest{{a, format, 10 * time.Second}, {b, format, 20 * time.Second}}))
			assert.Equal(t, rpWin(rpCount(30680+1000)), got["bytes-in"], format)
			assert.Equal(t, rpWin(rpCount(10652+500)), got["bytes-out"], format)
			assert.Equal(t, rpWin(rpCount(113+10)), got["packets-in"], format)
			assert.Equal(t, rpWin(rpCount(118+20)), got["packets-out"], format)
		}
	})
}

// A structurally malformed report (the troubleshooting guide's custom number
// sent as an object, which the service rejects as "Malformed metrics report")
// is rejected whole with ErrMalformedReport and changes nothing: no thing, no
// rpPoint, no event, not even the watermark.
func TestReportsMalformedRejected(t *testing.T) {
	ctx := context.Background()
	bad := rpReadAWS(t, "devguide-troubleshoot-report-custom-number-not-array.input.json")
	rejected := rpReadAWS(t, "devguide-troubleshoot-report-custom-number-not-array.rejected.json")
	require.Contains(t, string(rejected), "Malformed metrics report")

	for _, format := range []ReportFormat{JSON, CBOR} {
		t.Run(format.String(), func(t *testing.T) {
			data := bad
			if format == CBOR {
				data = rpJSONToCBOR(t, bad)
			}
			e := rpNewEngine(t)
			before := e.Stats()
			// Far in the future: had it moved the watermark, the next report would be late.
			_, err := e.IngestReport(ctx, "dev-1", reportsT0.Add(24*time.Hour), format, data)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrMalformedReport), "%v", err)
			after := e.Stats()
			assert.Equal(t, before.Inputs, after.Inputs)
			assert.Equal(t, before.Datapoints, after.Datapoints)
			assert.Equal(t, 0, after.Things)
			assert.Equal(t, before.Rejected+1, after.Rejected)

			// The same report with the custom metric as an array is accepted, at
			// an earlier time, and gives exactly its own datapoints.
			good := rpReadAWS(t, "devguide-troubleshoot-report-custom-number-array.input.json")
			if format == CBOR {
				good = rpJSONToCBOR(t, good)
			}
			_, err = e.IngestReport(ctx, "dev-1", reportsT0.Add(10*time.Second), format, good)
			require.NoError(t, err, "the rejected report must not have moved the watermark")
			e.Advance(ctx, reportsT0.Add(300*time.Second))
			assert.Equal(t, troubleshootAccepted, rpByBehavior(t, rpAllEvents(t, e)))
		})
	}
}
