// Package backtest records what an engine judged during a replay (every
// datapoint of every thing and behavior, the violation events) and turns
// it into a self-contained HTML report: per behavior, the metric over time
// against its threshold (or the fleet percentile of a statistical
// behavior) with alarm and clear points and in-alarm bands for the things
// most in alarm, tables of alarms per behavior and per thing, and a
// threshold sweep: how many alarms and things in alarm the same datapoints
// would have raised at other thresholds and consecutive counts.
//
// The report is one HTML file with inline SVG drawn here and a few lines
// of inline JavaScript for the thing selectors: no network, no external
// script, no charting library.
//
// record.go keeps the datapoints, sweep.go re-runs the alarm state machine
// (violation.Streak) over them, model.go derives what the report shows,
// and html.go and svg.go render it.
package backtest
