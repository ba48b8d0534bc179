package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromium returns the path of the chromium binary. Without one the test
// is skipped, except in CI (CI set), where .ci/run installs it and its
// absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (.ci/run installs the Debian package chromium)")
	}
	t.Skip("chromium is not installed; CI installs it")
	return ""
}

// consoleLine is how chromium --enable-logging=stderr logs a console
// message (an error, an uncaught exception, a resource that failed to
// load): [pid:tid:time:INFO:CONSOLE:line] "message", source: URL (line).
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// openInChromium loads the HTML file in headless chromium, with no
// network, and returns the DOM after its scripts ran and the console
// messages it logged.
func openInChromium(t *testing.T, path string) (dom string, console []string) {
	t.Helper()
	bin := chromium(t)
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+abs)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
	return stdout.String(), consoleLine.FindAllString(stderr.String(), -1)
}

// The console check catches what it must: a page with a script error.
func TestChromiumCatchesConsoleErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.html")
	require.NoError(t, os.WriteFile(path, []byte(`<!DOCTYPE html><html><head><title>x</title></head><body><script>undefinedFn();</script></body></html>`), 0o644))
	_, console := openInChromium(t, path)
	require.Len(t, console, 1)
	require.True(t, strings.Contains(console[0], "undefinedFn"), console[0])
}
