package backtest

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/violation"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 960, 260
	marginL        = 70
	marginR        = 16
	marginT        = 14
	marginB        = 30
	plotW          = chartW - marginL - marginR
	plotH          = chartH - marginT - marginB
)

// scale maps times and values to chart coordinates.
type scale struct {
	t0, t1 int64
	vMax   float64
}

func (s scale) x(t int64) float64 {
	f := float64(t-s.t0) / float64(s.t1-s.t0)
	return marginL + math.Max(0, math.Min(1, f))*plotW
}

func (s scale) y(v float64) float64 {
	f := v / s.vMax
	if math.IsNaN(f) {
		f = 0
	}
	return marginT + (1-math.Max(0, math.Min(1, f)))*plotH
}

// num writes a coordinate with one decimal, which is finer than a pixel.
func num(b *strings.Builder, f float64) {
	b.WriteString(strconv.FormatFloat(f, 'f', 1, 64))
}

// chart draws one behavior's chart: axes, its threshold or fleet
// percentile, and one group per offered thing (the first shown), each with
// its in-alarm bands, its datapoints and its events.
func chart(b *strings.Builder, bv *behaviorView, things []*thingView, t0, t1 int64) {
	// A margin of 2% on either side keeps the first and last points off
	// the frame.
	pad := (t1 - t0) / 50
	t0, t1 = t0-pad, t1+pad
	sc := scale{t0: t0, t1: t1}
	for _, tv := range things {
		sc.vMax = max(sc.vMax, tv.peak)
		for _, m := range tv.marks {
			sc.vMax = max(sc.vMax, m.v)
		}
	}
	if bv.threshold != nil {
		sc.vMax = max(sc.vMax, *bv.threshold)
	}
	for _, f := range bv.fleet {
		sc.vMax = max(sc.vMax, f.threshold)
	}
	if !(sc.vMax > 0) || math.IsInf(sc.vMax, 0) {
		sc.vMax = 1
	}
	sc.vMax *= 1.08

	fmt.Fprintf(b, `<svg class="chart" id="chart-%s" data-behavior="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		bv.id, html.EscapeString(bv.profile+"/"+bv.name), chartW, chartH, chartW, chartH, html.EscapeString(bv.metric+" over time"))
	b.WriteByte('\n')
	// Axes and grid.
	for i := 0; i <= 4; i++ {
		v := sc.vMax / 1.08 * float64(i) / 4
		y := sc.y(v)
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="ylabel" x="%d" y="%.1f">%s</text>`,
			marginL, chartW-marginR, y, y, marginL-6, y+4, html.EscapeString(shortNumber(v)))
	}
	span := time.Duration(t1 - t0)
	layout := "15:04"
	if span > 48*time.Hour {
		layout = "01-02 15:04"
	} else if span < 10*time.Minute {
		layout = "15:04:05"
	}
	step := int64(tickStep(span))
	for t := (t0/step + 1) * step; t < t1; t += step {
		x := sc.x(t)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="xlabel" x="%.1f" y="%d">%s</text>`,
			x, x, marginT, marginT+plotH, x, chartH-10, time.Unix(0, t).UTC().Format(layout))
	}
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>`, marginL, chartW-marginR, marginT+plotH, marginT+plotH)
	b.WriteByte('\n')

	for i, tv := range things {
		hidden := ""
		if i > 0 {
			hidden = ` style="display:none"`
		}
		fmt.Fprintf(b, `<g class="thing" data-thing="%s"%s>`, html.EscapeString(tv.thing), hidden)
		for _, bd := range tv.bands {
			x0, x1 := sc.x(bd.from), sc.x(bd.to)
			fmt.Fprintf(b, `<rect class="band" data-from="%s" data-to="%s" x="%.1f" y="%d" width="%.1f" height="%d"/>`,
				stamp(bd.from), stamp(bd.to), x0, marginT, math.Max(1, x1-x0), plotH)
		}
		if pts := downsample(tv.points, t0, t1); len(pts) > 0 {
			b.WriteString(`<polyline class="series" points="`)
			for j, p := range pts {
				if j > 0 {
					b.WriteByte(' ')
				}
				num(b, sc.x(p.t))
				b.WriteByte(',')
				num(b, sc.y(p.v))
			}
			b.WriteString(`"/>`)
		}
		for _, m := range tv.marks {
			cls := "alarm"
			switch m.typ {
			case violation.AlarmCleared:
				cls = "clear"
			case violation.AlarmInvalidated:
				cls = "invalidated"
			}
			fmt.Fprintf(b, `<circle class="%s" data-time="%s" cx="%.1f" cy="%.1f" r="4"><title>%s %s value %s</title></circle>`,
				cls, stamp(m.t), sc.x(m.t), sc.y(m.v), m.typ, stamp(m.t), shortNumber(m.v))
		}
		b.WriteString("</g>\n")
	}
	if len(bv.fleet) > 0 {
		b.WriteString(`<polyline class="fleet" points="`)
		for j, f := range bv.fleet {
			if j > 0 {
				b.WriteByte(' ')
			}
			num(b, sc.x(f.t))
			b.WriteByte(',')
			num(b, sc.y(f.threshold))
		}
		b.WriteString("\"><title>fleet percentile per window</title></polyline>\n")
	}
	if bv.threshold != nil {
		y := sc.y(*bv.threshold)
		fmt.Fprintf(b, `<line class="threshold" x1="%d" x2="%d" y1="%.1f" y2="%.1f"><title>threshold %s</title></line>`,
			marginL, chartW-marginR, y, y, shortNumber(*bv.threshold))
		b.WriteByte('\n')
	}
	b.WriteString("</svg>\n")
}

// tickSteps are the spacings of time ticks, finest first.
var tickSteps = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// tickStep is the finest spacing that gives at most eight ticks in span.
func tickStep(span time.Duration) time.Duration {
	for _, s := range tickSteps {
		if span/s <= 8 {
			return s
		}
	}
	d := 24 * time.Hour
	for span/d > 8 {
		d *= 2
	}
	return d
}

// downsample keeps, when a series has more points than the plot has room
// for, the first, minimum and maximum point of each pixel column, so spikes
// survive.
func downsample(pts []point, t0, t1 int64) []point {
	const cols = plotW
	if len(pts) <= 3*cols {
		return pts
	}
	out := make([]point, 0, 3*cols)
	col := func(t int64) int { return int(float64(t-t0) / float64(t1-t0) * cols) }
	for i := 0; i < len(pts); {
		c := col(pts[i].t)
		first, lo, hi := pts[i], pts[i], pts[i]
		j := i + 1
		for ; j < len(pts) && col(pts[j].t) == c; j++ {
			if pts[j].v < lo.v {
				lo = pts[j]
			}
			if pts[j].v > hi.v {
				hi = pts[j]
			}
		}
		out = append(out, first)
		if lo.t < hi.t {
			out = append(out, lo, hi)
		} else {
			out = append(out, hi, lo)
		}
		i = j
	}
	return out
}

// stamp is a time as the report's attributes and tooltips write it.
func stamp(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339) }

// shortNumber writes a value compactly: 1.5k, 2.3M, 0.25.
func shortNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', 3, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
