package ruledetect

import (
	"os"
	"os/exec"
	"testing"
)

// TestModuleBuildsFor32BitARM: the library did not build for a 32-bit
// platform (an ARMv7 gateway, a natural home for an embedded detector):
// criteria checked netip.Addr's size as 24 bytes, which holds on 64-bit
// platforms only, and compared a length with a constant beyond int32.
// .ci/run also runs the library's tests with GOARCH=386.
func TestModuleBuildsFor32BitARM(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the module")
	}
	cmd := exec.Command("go", "build", "./...")
	cmd.Env = append(os.Environ(), "GOARCH=arm", "GOARM=7", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=arm go build ./...: %v\n%s", err, out)
	}
}
