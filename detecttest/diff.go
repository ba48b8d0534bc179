package detecttest

import (
	"fmt"
	"strings"

	gocmp "github.com/google/go-cmp/cmp"
)

// lines renders events or active violations one a line.
func lines[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// diffLines compares two lists of lines with go-cmp and returns "" when
// they are equal, or every line prefixed "-" (only wanted), "+" (only got)
// or " " (both), in go-cmp's alignment. Whole lines, rather than go-cmp's
// own report, which elides equal fields and diffs inside strings, so each
// differing line names its behavior, thing and time in full.
func diffLines(want, got []string) string {
	if len(want) == 0 && len(got) == 0 {
		return ""
	}
	var r lineReporter
	if gocmp.Equal(want, got, gocmp.Reporter(&r)) {
		return ""
	}
	return r.b.String()
}

// lineReporter is a go-cmp Reporter that writes one line per slice
// element.
type lineReporter struct {
	path gocmp.Path
	b    strings.Builder
}

func (r *lineReporter) PushStep(ps gocmp.PathStep) { r.path = append(r.path, ps) }

func (r *lineReporter) PopStep() { r.path = r.path[:len(r.path)-1] }

func (r *lineReporter) Report(rs gocmp.Result) {
	if len(r.path) != 2 { // the root, then one element of it
		return
	}
	vx, vy := r.path.Last().Values()
	if rs.Equal() {
		fmt.Fprintf(&r.b, "  %s\n", vx.String())
		return
	}
	if vx.IsValid() {
		fmt.Fprintf(&r.b, "- %s\n", vx.String())
	}
	if vy.IsValid() {
		fmt.Fprintf(&r.b, "+ %s\n", vy.String())
	}
}
