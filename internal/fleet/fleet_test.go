package fleet

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect/internal/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyRecord detaches a yielded record from the generator's buffers.
func copyRecord(r *replay.Record) replay.Record {
	c := *r
	c.Report = slices.Clone(r.Report)
	return c
}

func collect(f *Fleet) []replay.Record {
	var out []replay.Record
	for r := range f.Records() {
		out = append(out, copyRecord(r))
	}
	return out
}

func TestConfigDefaults(t *testing.T) {
	c := New(Config{Things: 1, Duration: time.Hour}).Config()
	assert.Equal(t, defaultStart, c.Start)
	assert.Equal(t, DefaultReportInterval, c.ReportInterval)
	assert.Equal(t, 1, c.Compromised, "capped at Things")

	c = (Config{}).normalized()
	assert.Equal(t, Config{Things: 5000, Start: defaultStart, Duration: 24 * time.Hour,
		ReportInterval: 300 * time.Second, Compromised: 5}, c)

	c = (Config{ReportInterval: 301 * time.Second, Compromised: -1, Duration: 90 * time.Second}).normalized()
	assert.Equal(t, 6*time.Minute, c.ReportInterval, "rounded up to whole minutes")
	assert.Equal(t, 0, c.Compromised)
	assert.Equal(t, time.Minute, c.Duration)

	c = (Config{ReportInterval: time.Second, Duration: 59 * time.Minute}).normalized()
	assert.Equal(t, 300*time.Second, c.ReportInterval, "raised to the agents' minimum")
	assert.Equal(t, 0, c.Compromised, "too short a run for incidents")
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Things: 50, Duration: 2 * time.Hour, Seed: 7}
	var a, b, c bytes.Buffer
	require.NoError(t, New(cfg).WriteJSONL(&a))
	require.NoError(t, New(cfg).WriteJSONL(&b))
	assert.Equal(t, a.Bytes(), b.Bytes(), "same Config, same bytes")
	assert.Equal(t, New(cfg).Compromised(), New(cfg).Compromised())

	f := New(cfg)
	var twice bytes.Buffer
	require.NoError(t, f.WriteJSONL(&twice))
	assert.Equal(t, a.Bytes(), twice.Bytes(), "iterating again gives the same records")

	cfg.Seed = 8
	require.NoError(t, New(cfg).WriteJSONL(&c))
	assert.NotEqual(t, a.Bytes(), c.Bytes(), "another seed, another fleet")
}

func TestWriteJSONLReadsBack(t *testing.T) {
	f := New(Config{Things: 40, Duration: 3 * time.Hour, Seed: 3, Compromised: 6})
	want := collect(f)
	var buf bytes.Buffer
	require.NoError(t, f.WriteJSONL(&buf))

	r := replay.NewReader(&buf)
	var got replay.Record
	for i := 0; ; i++ {
		err := r.Next(&got)
		if err == io.EOF {
			require.Equal(t, len(want), i, "record count")
			break
		}
		require.NoError(t, err)
		w := want[i]
		require.True(t, w.Time.Equal(got.Time) && w.ThingName == got.ThingName && w.Kind == got.Kind &&
			bytes.Equal(w.Report, got.Report) && w.ReportFormat == got.ReportFormat && w.Topic == got.Topic &&
			w.Bytes == got.Bytes && w.SourceIP == got.SourceIP, "record %d: %+v != %+v", i, got, w)
		require.NoError(t, w.Validate())
	}
}

type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestWriteJSONLError(t *testing.T) {
	err := New(Config{Things: 100, Duration: time.Hour}).WriteJSONL(&errWriter{n: 1 << 20})
	require.ErrorIs(t, err, io.ErrShortWrite)
}

func TestRecordsOrderAndCounts(t *testing.T) {
	cfg := Config{Things: 300, Duration: 6 * time.Hour, Seed: 11, Compromised: -1}
	f := New(cfg)
	counts := map[replay.Kind]int{}
	perThing := map[string]map[replay.Kind]int{}
	var prev replay.Record
	n := 0
	end := cfg.normalized().Start.Add(cfg.Duration)
	for r := range f.Records() {
		if n > 0 {
			c := r.Time.Compare(prev.Time)
			require.True(t, c > 0 || (c == 0 && r.ThingName >= prev.ThingName), "record %d out of order", n)
		}
		require.False(t, r.Time.Before(defaultStart), "record %d before the run", n)
		require.True(t, r.Time.Before(end), "record %d after the run", n)
		prev = copyRecord(r)
		counts[r.Kind]++
		if perThing[r.ThingName] == nil {
			perThing[r.ThingName] = map[replay.Kind]int{}
		}
		perThing[r.ThingName][r.Kind]++
		n++
	}
	minutes := int(cfg.Duration / time.Minute)
	require.Len(t, perThing, cfg.Things)
	assert.Equal(t, cfg.Things*minutes/5, counts[replay.Report], "one report per thing per 5 minutes")
	for name, c := range perThing {
		assert.Equal(t, minutes/5, c[replay.Report], name)
		assert.Equal(t, 1+c[replay.Disconnect], c[replay.Connect], "%s: connects once, then after each disconnect", name)
		assert.LessOrEqual(t, c[replay.MessageSent], minutes, name)
	}
	visits := float64(cfg.Things * minutes)
	assert.InDelta(t, visits/2, float64(counts[replay.MessageSent]), visits*0.02, "a message in half the minutes")
	assert.InDelta(t, visits/10, float64(counts[replay.MessageReceived]), visits*0.01, "a command in a tenth")
	assert.Greater(t, counts[replay.Disconnect], 0)
	assert.Less(t, counts[replay.Disconnect], cfg.Things, "about one a day")
	assert.Less(t, counts[replay.AuthorizationFailure], cfg.Things, "rare")
}

func TestReportsAreAgentJSON(t *testing.T) {
	f := New(Config{Things: 200, Duration: 2 * time.Hour, Seed: 5, Compromised: 6})
	styles := map[string]int{}
	for r := range f.Records() {
		if r.Kind != replay.Report {
			continue
		}
		require.Equal(t, replay.JSON, r.ReportFormat)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(r.Report, &doc), "%s", r.Report)
		style := checkReportKeys(t, doc, r.Report)
		styles[style]++
		id := reportID(doc)
		assert.Contains(t, []int64{r.Time.Unix(), r.Time.UnixMilli()}, id, "report id is the report's epoch time")
	}
	for _, s := range []string{"short", "long", "mixed"} {
		assert.Greater(t, styles[s], 0, "style %s present", s)
	}
	assert.Greater(t, styles["short"], styles["long"], "short keys are the most common")
	assert.Greater(t, styles["short"], styles["mixed"])
}

// The documented report keys (aws-semantics §7), long and short.
var (
	longReportKeys = map[string][]string{
		"":                        {"header", "metrics", "custom_metrics"},
		"header":                  {"report_id", "version"},
		"metrics":                 {"tcp_connections", "listening_tcp_ports", "listening_udp_ports", "network_stats"},
		"tcp_connections":         {"established_connections"},
		"established_connections": {"connections", "total"},
		"connections":             {"remote_addr", "local_port", "local_interface"},
		"listening_tcp_ports":     {"ports", "total"},
		"listening_udp_ports":     {"ports", "total"},
		"ports":                   {"port", "interface"},
		"network_stats":           {"bytes_in", "bytes_out", "packets_in", "packets_out"},
	}
	shortReportKeys = map[string][]string{
		"":    {"hed", "met", "cmet"},
		"hed": {"rid", "v"},
		"met": {"tc", "tp", "up", "ns"},
		"tc":  {"ec"},
		"ec":  {"cs", "t"},
		"cs":  {"rad", "lp", "li"},
		"tp":  {"pts", "t"},
		"up":  {"pts", "t"},
		"pts": {"pt", "if"},
		"ns":  {"bi", "bo", "pi", "po"},
	}
)

// checkReportKeys walks a report and returns its key style: "long", "short",
// or "mixed" (short keys with the Python agent's long keys in port entries).
func checkReportKeys(t *testing.T, doc map[string]any, raw []byte) string {
	t.Helper()
	keys, style := longReportKeys, "long"
	if _, ok := doc["hed"]; ok {
		keys, style = shortReportKeys, "short"
	}
	var walk func(parent string, v any)
	walk = func(parent string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if parent == "custom_metrics" || parent == "cmet" {
				checkCustomMetrics(t, v, raw)
				return
			}
			allowed, ok := keys[parent]
			require.True(t, ok, "unexpected object under %q in %s", parent, raw)
			for k, child := range v {
				if style != "long" && (parent == "pts") && (k == "port" || k == "interface") {
					style = "mixed"
				} else {
					require.Contains(t, allowed, k, "key under %q in %s", parent, raw)
				}
				walk(k, child)
			}
		case []any:
			for _, e := range v {
				walk(parent, e)
			}
		}
	}
	walk("", doc)
	return style
}

func checkCustomMetrics(t *testing.T, cm map[string]any, raw []byte) {
	t.Helper()
	require.Len(t, cm, 2, "%s", raw)
	cpu := cm["cpu_usage"].([]any)
	require.Len(t, cpu, 1)
	n, ok := cpu[0].(map[string]any)["number"].(float64)
	require.True(t, ok, "cpu_usage is a one-element number array: %s", raw)
	assert.True(t, n >= 0 && n <= 100)
	ifs := cm["interfaces"].([]any)
	require.Len(t, ifs, 1)
	list, ok := ifs[0].(map[string]any)["string_list"].([]any)
	require.True(t, ok, "interfaces is a string_list: %s", raw)
	assert.NotEmpty(t, list)
}

func reportID(doc map[string]any) int64 {
	h, ok := doc["hed"].(map[string]any)
	if !ok {
		h = doc["header"].(map[string]any)
	}
	if id, ok := h["rid"].(float64); ok {
		return int64(id)
	}
	return int64(h["report_id"].(float64))
}

func TestIncidents(t *testing.T) {
	cfg := Config{Things: 100, Duration: 12 * time.Hour, Seed: 9, Compromised: 12}
	f := New(cfg)
	incs := f.Compromised()
	require.Len(t, incs, 12)
	start := defaultStart
	end := start.Add(cfg.Duration)
	things := map[string]bool{}
	attacks := map[Attack]int{}
	firstRecord := map[string]time.Time{}
	for r := range f.Records() {
		if _, ok := firstRecord[r.ThingName]; !ok {
			firstRecord[r.ThingName] = r.Time
		}
	}
	for i, in := range incs {
		assert.False(t, things[in.Thing], "one incident per thing")
		things[in.Thing] = true
		attacks[in.Attack]++
		assert.NotEmpty(t, in.Behaviors)
		assert.NotContains(t, in.Attack.String(), "Attack(")
		assert.False(t, in.Start.Before(start.Add(cfg.Duration/4)), "%v starts in the middle half", in)
		assert.True(t, in.Start.Before(end.Add(-cfg.Duration/4).Add(5*time.Minute)), "%v leaves time to alarm", in)
		assert.Contains(t, firstRecord, in.Thing, "the incident's thing exists")
		if i > 0 {
			assert.False(t, in.Start.Before(incs[i-1].Start), "ordered by start")
		}
	}
	assert.Len(t, attacks, numAttacks, "every attack is used")
	incs[0].Behaviors[0] = "changed"
	assert.NotEqual(t, "changed", f.Compromised()[0].Behaviors[0], "Compromised returns a copy")
	assert.Empty(t, New(Config{Things: 10, Duration: 30 * time.Minute}).Compromised())
	assert.Empty(t, New(Config{Things: 10, Duration: 2 * time.Hour, Compromised: -1}).Compromised())
}
