package ruledetect

import (
	"bufio"
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"unsafe"
)

// TestInlining guards the helpers on the hot paths that their comments (or
// their cost) say must inline: a change that pushes one over the inliner's
// budget fails here rather than quietly in a benchmark. It is net/netip's
// inlining_test.go, applied to the whole module in one place.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the packages with -gcflags=-m")
	}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the inliner's budget is spent differently on 32-bit platforms; the figures are 64-bit ones")
	}
	want := map[string][]string{
		".": {
			// Every input: its thing's name checked.
			"checkThingUnless",
		},
		"internal/eval": {
			// Every input: the period of its time, the horizon check of its thing.
			"(*Plane).periodOf",
			"(*Plane).expireIfIdle",
			// Every input's admission, and the yield test as it leaves.
			"(*admitted).set",
			"(*shard).lowerOldestInput",
			"(*Plane).giveWay",
			// Every counted input and every window close.
			"(*Plane).add",
			"(*Thing).ringOf",
			"(*Thing).window",
			"addSaturating",
			"sum",
			"last",
			"windowValue",
			"windowBits",
		},
		"dimension": {
			// Dimension matching, per input and behavior.
			"Operator.Admits",
			"hashShort",
			"cleanWord",
		},
		"violation": {
			// The alarm state machine, per datapoint.
			"(*Streak).Observe",
			"Streak.InAlarm",
		},
		"internal/report": {
			// Every key of a report (called out of line, next cost a report
			// a fifth more), every path step, every short key or string.
			"(*object).next",
			"(*object).known",
			"(*object).saw",
			"(*pathStack).pushKey",
			"(*pathStack).pushKnown",
			"(*pathStack).pop",
			"(*pathStack).setIdx",
			"shortLen",
			"oneSpace",
			"plainDigits",
			"portInRange",
		},
		"internal/wire": {
			// Every field of a snapshot, a sketch and a page token.
			"NewReader",
			"(*Reader).Len",
			"(*Reader).Err",
			"(*Reader).Byte",
			"(*Reader).Uint64LE",
			"(*Reader).Bytes",
		},
	}
	const module = "github.com/ruledetect/ruledetect"
	args := []string{"build", "-gcflags=-m"}
	for dir := range want {
		args = append(args, "./"+dir)
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v, %s", err, out)
	}
	// The compiler's output comes package by package, each after a
	// "# import/path" line.
	got := map[string]bool{} // "dir name"
	inline := regexp.MustCompile(` can inline (\S+)`)
	dir := ""
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		line := sc.Text()
		if path, ok := strings.CutPrefix(line, "# "); ok {
			dir = strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
			if dir == "" {
				dir = "."
			}
			continue
		}
		if m := inline.FindStringSubmatch(line); m != nil {
			got[dir+" "+m[1]] = true
		}
	}
	for dir, names := range want {
		for _, name := range names {
			if !got[dir+" "+name] {
				t.Errorf("%s: %s does not inline", dir, name)
			}
		}
	}
}
