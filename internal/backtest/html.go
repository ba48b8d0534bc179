package backtest

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/violation"
)

// Write renders the recording as one self-contained HTML document.
func Write(w io.Writer, rec *Recording) error {
	rp := build(rec)
	var b strings.Builder
	b.Grow(1 << 20)
	title := rp.title
	if title == "" {
		title = "ruledetect backtest report"
	}
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>%s</title>
<style>%s</style>
</head>
<body>
<h1>%s</h1>
`, html.EscapeString(title), css, html.EscapeString(title))

	fmt.Fprintf(&b, `<p class="summary">From %s to %s: %d datapoints judged; violation events: %d in-alarm, %d alarm-cleared, %d alarm-invalidated; %d things raised an alarm.</p>`+"\n",
		stamp(rp.start), stamp(rp.end), rp.datapoints,
		rp.events[violation.InAlarm], rp.events[violation.AlarmCleared], rp.events[violation.AlarmInvalidated], rp.thingsWithAlarms)

	// Alarms per behavior.
	b.WriteString("<h2>Alarms per behavior</h2>\n<table class=\"behaviors\"><thead><tr><th>profile</th><th>behavior</th><th>metric</th><th>criteria</th><th>alarms</th><th>things in alarm</th></tr></thead><tbody>\n")
	for _, bv := range rp.behaviors {
		fmt.Fprintf(&b, `<tr><td>%s</td><td><a href="#%s">%s</a></td><td>%s</td><td>%s</td><td class="n">%d</td><td class="n">%d</td></tr>`+"\n",
			html.EscapeString(bv.profile), bv.id, html.EscapeString(bv.name), html.EscapeString(bv.metric),
			html.EscapeString(bv.criterion), bv.alarms, bv.thingsInAlarm)
	}
	b.WriteString("</tbody></table>\n")

	// Alarms per thing.
	fmt.Fprintf(&b, "<h2>Alarms per thing</h2>\n")
	if len(rp.thingRows) == 0 {
		b.WriteString("<p>No thing raised an alarm.</p>\n")
	} else {
		if rp.thingsWithAlarms > len(rp.thingRows) {
			fmt.Fprintf(&b, "<p>The %d things longest in alarm of %d.</p>\n", len(rp.thingRows), rp.thingsWithAlarms)
		}
		b.WriteString("<table class=\"things\"><thead><tr><th>thing</th><th>alarms</th><th>time in alarm, summed over behaviors</th><th>behaviors</th></tr></thead><tbody>\n")
		for _, r := range rp.thingRows {
			fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%s</td><td>%s</td></tr>\n",
				html.EscapeString(r.thing), r.alarms, duration(r.timeInAlarm), html.EscapeString(strings.Join(r.behaviors, ", ")))
		}
		b.WriteString("</tbody></table>\n")
	}

	for _, bv := range rp.behaviors {
		section(&b, bv, rp)
	}
	b.WriteString("<script>" + script + "</script>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// section writes one behavior's chart, its things and its sweep.
func section(b *strings.Builder, bv *behaviorView, rp *report) {
	fmt.Fprintf(b, "<section class=\"behavior\" id=\"%s\">\n<h2>%s / %s</h2>\n<p class=\"criteria\"><code>%s</code>: %s. %s, %s in alarm.</p>\n",
		bv.id, html.EscapeString(bv.profile), html.EscapeString(bv.name), html.EscapeString(bv.metric),
		html.EscapeString(bv.criterion), plural(bv.alarms, "alarm"), plural(bv.thingsInAlarm, "thing"))
	top := bv.things[:min(len(bv.things), TopThings)]
	if len(top) == 0 {
		b.WriteString("<p>No datapoint was judged.</p>\n</section>\n")
		return
	}
	fmt.Fprintf(b, "<p><label>Thing <select class=\"thing-select\" data-chart=\"chart-%s\">", bv.id)
	for _, tv := range top {
		what := "no alarm"
		if tv.alarms > 0 {
			what = fmt.Sprintf("%s, %s in alarm", plural(tv.alarms, "alarm"), duration(tv.timeInAlarm))
		}
		fmt.Fprintf(b, "<option value=\"%s\">%s (%s)</option>", html.EscapeString(tv.thing), html.EscapeString(tv.thing), what)
	}
	fmt.Fprintf(b, "</select></label> <span class=\"note\">the %d of %d things longest in alarm", len(top), len(bv.things))
	if bv.statistical {
		b.WriteString("; orange: the fleet percentile each window was judged against")
	} else if bv.threshold != nil {
		b.WriteString("; dashed red: the threshold")
	}
	if strings.Contains(bv.criterion, "set") {
		b.WriteString("; values are list lengths")
	}
	b.WriteString("</span></p>\n")
	chart(b, bv, top, bv.t0, bv.t1)

	if bv.sweep != nil {
		sw := bv.sweep
		fmt.Fprintf(b, "<h3>Threshold sweep</h3>\n<p class=\"note\">Alarms / things in alarm the recorded datapoints would have raised with <code>%s</code> at each threshold (rows) and consecutiveDatapointsToAlarm (columns), %d to clear. The highlighted cell is the behavior as configured.",
			sw.Operator, sw.ToClear)
		if sw.Disagreements > 0 {
			fmt.Fprintf(b, " %d datapoints were judged otherwise than the operator judges them at the configured threshold: the recording mixes profile versions.", sw.Disagreements)
		}
		b.WriteString("</p>\n<table class=\"sweep\"><thead><tr><th>threshold</th>")
		for _, c := range sw.Consecutive {
			fmt.Fprintf(b, "<th>%d to alarm</th>", c)
		}
		b.WriteString("</tr></thead><tbody>\n")
		for ti, t := range sw.Thresholds {
			fmt.Fprintf(b, "<tr><th>%s</th>", t)
			for ci := range sw.Consecutive {
				cell := sw.Cells[ti][ci]
				cls := ""
				if ti == sw.CurrentThreshold && ci == sw.CurrentConsecutive {
					cls = ` class="current"`
				}
				fmt.Fprintf(b, "<td%s data-threshold=\"%s\" data-consecutive=\"%d\">%d / %d</td>", cls, t, sw.Consecutive[ci], cell.Alarms, cell.Things)
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody></table>\n")
	}
	b.WriteString("</section>\n")
}

// plural writes a count and its noun.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// duration writes a time in alarm compactly.
func duration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.Round(time.Second).String()
}

const css = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right}
table.sweep td{text-align:right}
table.sweep td.current{background:#ffe9a8;font-weight:bold}
.note{color:#555;font-size:13px}
section.behavior{border-top:2px solid #ddd;margin-top:24px}
svg.chart{display:block;background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
svg .grid{stroke:#eee}svg .axis{stroke:#999}
svg text{font-size:11px;fill:#555}svg .ylabel{text-anchor:end}svg .xlabel{text-anchor:middle}
svg .series{fill:none;stroke:#1f66c1;stroke-width:1.2}
svg .band{fill:#d62728;fill-opacity:.13}
svg .threshold{stroke:#d62728;stroke-dasharray:6 4;stroke-width:1.5}
svg .fleet{fill:none;stroke:#ff7f0e;stroke-width:1.5}
svg .alarm{fill:#d62728}svg .clear{fill:#2ca02c}svg .invalidated{fill:#888}
`

// script shows the group of the thing a chart's selector names.
const script = `
document.querySelectorAll("select.thing-select").forEach(function (sel) {
  sel.addEventListener("change", function () {
    var svg = document.getElementById(sel.dataset.chart);
    svg.querySelectorAll("g.thing").forEach(function (g) {
      g.style.display = g.dataset.thing === sel.value ? "" : "none";
    });
  });
});
document.body.dataset.ready = "1";
`
