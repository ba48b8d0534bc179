package detecttest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxExplained bounds the datapoints listed per behavior and thing.
const maxExplained = 16

// explainKey is one (thing, profile, behavior).
type explainKey struct{ thing, profile, behavior string }

// explain lists, per (thing, profile, behavior) the events name, the
// datapoints judged from ten periods before the earliest of its events to
// one period after the latest, marking those at an event's time.
func (s *Sim) explain(evs []Event) string {
	if len(evs) == 0 {
		return ""
	}
	type span struct {
		from, to time.Time
		at       []time.Time
	}
	spans := map[explainKey]*span{}
	var keys []explainKey
	for _, e := range evs {
		k := explainKey{e.Thing, e.Profile, e.Behavior}
		sp := spans[k]
		if sp == nil {
			sp = &span{from: e.Time, to: e.Time}
			spans[k] = sp
			keys = append(keys, k)
		}
		if e.Time.Before(sp.from) {
			sp.from = e.Time
		}
		if e.Time.After(sp.to) {
			sp.to = e.Time
		}
		sp.at = append(sp.at, e.Time)
	}
	slices.SortFunc(keys, func(a, b explainKey) int {
		return cmp.Or(cmp.Compare(a.thing, b.thing), cmp.Compare(a.profile, b.profile), cmp.Compare(a.behavior, b.behavior))
	})
	dps := s.Datapoints()
	var b strings.Builder
	for _, k := range keys {
		sp := spans[k]
		from, to := sp.from.Add(-10*s.period), sp.to.Add(s.period)
		var lines []string
		metric := ""
		for _, d := range dps {
			if d.Thing != k.thing || d.Profile != k.profile || d.Behavior != k.behavior || d.Time.Before(from) || d.Time.After(to) {
				continue
			}
			metric = d.Metric
			verdict := "compliant"
			if d.Violating {
				verdict = "violating"
			}
			if d.Statistical {
				verdict += fmt.Sprintf(" (fleet threshold %g)", d.Threshold)
			}
			mark := " "
			if slices.ContainsFunc(sp.at, d.Time.Equal) {
				mark = ">"
			}
			lines = append(lines, fmt.Sprintf("  %s %s  %s  %s", mark, d.Time.UTC().Format(time.RFC3339Nano), ValueJSON(&d.Value), verdict))
		}
		fmt.Fprintf(&b, "datapoints of thing %s, behavior %s/%s", k.thing, k.profile, k.behavior)
		if metric != "" {
			fmt.Fprintf(&b, " (%s)", metric)
		}
		fmt.Fprintf(&b, " from %s to %s:\n", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		if len(lines) == 0 {
			b.WriteString("    (none)\n")
		}
		if len(lines) > maxExplained {
			fmt.Fprintf(&b, "    … %d earlier\n", len(lines)-maxExplained)
			lines = lines[len(lines)-maxExplained:]
		}
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
