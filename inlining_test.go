package ruledetect

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestInlining guards the helpers on the ingest and period-close paths that
// their comments (or their cost) say must inline: a change that pushes one
// over the inliner's budget fails here rather than quietly in a benchmark.
// It is net/netip's inlining_test.go, applied to this module.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the packages with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m",
		".", "./internal/eval", "./dimension", "./violation").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v, %s", err, out)
	}
	got := map[string]bool{}
	for _, m := range regexp.MustCompile(` can inline (\S+)`).FindAllStringSubmatch(string(out), -1) {
		got[strings.TrimPrefix(m[1], " can inline ")] = true
	}
	for _, want := range []string{
		// Every input: the period of its time, the horizon check of its thing.
		"(*Plane).periodOf",
		"(*Plane).expireIfIdle",
		"checkThingUnless",
		// Every counted input and every window close.
		"(*Plane).add",
		"(*Thing).ringOf",
		"(*Thing).window",
		"addSaturating",
		"sum",
		"last",
		"windowValue",
		"windowBits",
		// Dimension matching, per input and behavior.
		"Operator.Admits",
		"hashShort",
		// The alarm state machine, per datapoint.
		"(*Streak).Observe",
		"Streak.InAlarm",
	} {
		if !got[want] {
			t.Errorf("%s does not inline", want)
		}
	}
}
