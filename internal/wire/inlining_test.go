package wire

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining guards the reads whose comments say they inline (net/netip's
// inlining_test.go): a change that pushes one over the inliner's budget
// fails here rather than quietly in a decoder's benchmark.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v, %s", err, out)
	}
	got := map[string]bool{}
	for _, m := range regexp.MustCompile(` can inline (\S+)`).FindAllStringSubmatch(string(out), -1) {
		got[m[1]] = true
	}
	for _, want := range []string{
		"NewReader",
		"(*Reader).Len",
		"(*Reader).Err",
		"(*Reader).Byte",
		"(*Reader).Uint64LE",
		"(*Reader).Bytes",
	} {
		if !got[want] {
			t.Errorf("%s does not inline", want)
		}
	}
}
