package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLibraryDependencies: the library packages a user imports build without
// the service's dependencies (NATS, the MQTT broker and client): only
// server/… and this command import them.
func TestLibraryDependencies(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}",
		".", "./behavior", "./criteria", "./dimension", "./violation", "./detecttest")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	mods := strings.Fields(string(out))
	require.Contains(t, mods, "github.com/ruledetect/ruledetect", "go list listed the library")
	for _, m := range mods {
		for _, banned := range []string{"github.com/nats-io/", "github.com/mochi-mqtt/", "github.com/eclipse/paho", "github.com/prometheus/"} {
			assert.False(t, strings.HasPrefix(m, banned), "a library package depends on %s", m)
		}
	}
}
