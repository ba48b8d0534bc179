package backtest_test

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/detecttest"
	"github.com/ruledetect/ruledetect/internal/backtest"
)

const structureProfile = `{"securityProfileName":"p","behaviors":[
  {"name":"msgs","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than-equals",
   "value":{"count":2},"durationSeconds":300,"consecutiveDatapointsToAlarm":3,"consecutiveDatapointsToClear":2}},
  {"name":"auth","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than",
   "value":{"count":1},"durationSeconds":300}},
  {"name":"p50","metric":"aws:num-messages-sent","criteria":{"comparisonOperator":"less-than-equals",
   "statisticalThreshold":{"statistic":"p50"},"durationSeconds":300}}]}`

// record runs the series through structureProfile and returns the
// recording and the report.
func record(t *testing.T, series map[string]string) (*backtest.Recording, string) {
	ctx := context.Background()
	t.Helper()
	rec := backtest.NewRecorder()
	s := detecttest.New(t, structureProfile, detecttest.WithDatapointObserver(rec.Observe))
	s.Series(series)
	s.Datapoints() // delivered
	var events []ruledetect.ViolationEvent
	for ev, err := range s.Engine.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(detecttest.Start), EndTime: behavior.At(detecttest.T(24 * time.Hour))}) {
		require.NoError(t, err)
		events = append(events, ev)
	}
	sp, err := behavior.ParseSecurityProfile([]byte(structureProfile))
	require.NoError(t, err)
	recording := rec.Recording("structure", []*behavior.SecurityProfile{sp}, events)
	var b bytes.Buffer
	require.NoError(t, backtest.Write(&b, recording))
	return recording, b.String()
}

var (
	chartRe = regexp.MustCompile(`(?s)<svg class="chart" id="[^"]*" data-behavior="([^"]*)".*?</svg>`)
	groupRe = regexp.MustCompile(`(?s)<g class="thing" data-thing="([^"]*)"[^>]*>(.*?)</g>`)
	bandRe  = regexp.MustCompile(`<rect class="band" data-from="([^"]*)" data-to="([^"]*)"`)
	markRe  = regexp.MustCompile(`<circle class="(alarm|clear|invalidated)" data-time="([^"]*)"`)
)

// bands maps behavior → thing → its bands and marks as drawn.
func drawn(page string) (charts []string, bands, marks map[string]map[string][]string) {
	bands, marks = map[string]map[string][]string{}, map[string]map[string][]string{}
	for _, c := range chartRe.FindAllStringSubmatch(page, -1) {
		charts = append(charts, c[1])
		bands[c[1]], marks[c[1]] = map[string][]string{}, map[string][]string{}
		for _, g := range groupRe.FindAllStringSubmatch(c[0], -1) {
			for _, bd := range bandRe.FindAllStringSubmatch(g[2], -1) {
				bands[c[1]][g[1]] = append(bands[c[1]][g[1]], bd[1]+" "+bd[2])
			}
			for _, m := range markRe.FindAllStringSubmatch(g[2], -1) {
				marks[c[1]][g[1]] = append(marks[c[1]][g[1]], m[1]+" "+m[2])
			}
		}
	}
	return charts, bands, marks
}

func at(d time.Duration) string { return detecttest.T(d).Format(time.RFC3339) }

// One chart per behavior; each thing's in-alarm bands and event marks are
// where its events say, worked out by hand: cam-1 (3 1 3 3 3 0 4 1 2, three
// to alarm, two to clear) is in alarm from 00:25 to 00:45; cam-2's
// authorization failures (_ 2 0 0 2) alarm at 00:10, clear at 00:15,
// alarm again at 00:25 and clear at 00:30, where its series has ended but
// its messages go on: a window without failures counts 0.
func TestReportStructure(t *testing.T) {
	_, page := record(t, map[string]string{
		"cam-1 message-sent dt/a":           "3 1 3 3 3 0 4 1 2",
		"cam-2 message-sent dt/a":           "0 0 0 0 0 0 0 0 0",
		"cam-2 authorization-failure cmd/x": "_ 2 0 0 2",
	})
	charts, bands, marks := drawn(page)
	assert.Equal(t, []string{"p/msgs", "p/auth", "p/p50"}, charts, "one chart per behavior, in the profile's order")

	assert.Equal(t, []string{at(25*time.Minute) + " " + at(45*time.Minute)}, bands["p/msgs"]["cam-1"])
	assert.Equal(t, []string{"alarm " + at(25*time.Minute), "clear " + at(45*time.Minute)}, marks["p/msgs"]["cam-1"])
	assert.Empty(t, bands["p/msgs"]["cam-2"], "cam-2 never alarms on msgs")
	assert.Equal(t, []string{at(10*time.Minute) + " " + at(15*time.Minute), at(25*time.Minute) + " " + at(30*time.Minute)}, bands["p/auth"]["cam-2"])
	assert.Equal(t, []string{"alarm " + at(10*time.Minute), "clear " + at(15*time.Minute), "alarm " + at(25*time.Minute), "clear " + at(30*time.Minute)}, marks["p/auth"]["cam-2"])

	// Static behaviors draw their threshold and have a sweep; the
	// statistical one draws the fleet percentile and has none.
	for _, c := range chartRe.FindAllStringSubmatch(page, -1) {
		statistical := c[1] == "p/p50"
		assert.Equal(t, !statistical, strings.Contains(c[0], `<line class="threshold"`), c[1])
		assert.Equal(t, statistical, strings.Contains(c[0], `<polyline class="fleet"`), c[1])
	}
	assert.Equal(t, 2, strings.Count(page, `<table class="sweep">`))
	// The selector offers the things longest in alarm first.
	sel := regexp.MustCompile(`data-chart="chart-b0">(.*?)</select>`).FindStringSubmatch(page)
	require.NotNil(t, sel)
	assert.True(t, strings.HasPrefix(sel[1], `<option value="cam-1">`), sel[1])
}

// The report escapes names: a thing name cannot inject markup.
func TestReportEscapes(t *testing.T) {
	_, page := record(t, map[string]string{`<b>"x"&y message-sent dt/a`: "3 3 3"})
	assert.NotContains(t, page, `<b>"x"`)
	assert.Contains(t, page, `&lt;b&gt;&#34;x&#34;&amp;y`)
	charts, _, _ := drawn(page)
	assert.Len(t, charts, 3)
	assert.True(t, slices.Contains(charts, "p/msgs"))
}
