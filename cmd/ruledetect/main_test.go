package main

import (
	"bytes"
	"cmp"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateFiles(t *testing.T) {
	awsInvalid, err := os.ReadFile(filepath.Join("testdata", "cli-validate-security-profile-behaviors-invalid.output.json"))
	require.NoError(t, err)
	v := jsontext.Value(awsInvalid)
	require.NoError(t, v.Compact())

	tests := []struct {
		file   string
		code   int
		stdout string
	}{
		{"cli-validate-security-profile-behaviors-invalid.input.json", 1, string(v) + "\n"},
		{"cli-validate-security-profile-behaviors-valid.input.json", 0, `{"valid":true,"validationErrors":[]}` + "\n"},
		{"cli-describe-security-profile.output.json", 0, `{"valid":true,"validationErrors":[]}` + "\n"},
		{"cfn-security-profile.json", 0, `{"valid":true,"validationErrors":[]}` + "\n"},
		{"cfn-contract-securityprofile-inputs_1_invalid.json", 1, `{"valid":false,"validationErrors":[{"errorMessage":"SecurityProfileArn is a read-only property and cannot be set"}]}` + "\n"},
		// An unknown member is a validation error naming path, line and column.
		{"devguide-scoping-behavior-expanded.json", 1, `{"valid":false,"validationErrors":[{"errorMessage":"[0].metricDimension[\"dimensionName:\"]: unknown field \"dimensionName:\"; want one of dimensionName, operator (line 13, column 10)"}]}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			code, stdout, stderr := runCLI("", "validate", filepath.Join("testdata", tc.file))
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.stdout, stdout)
			assert.Empty(t, stderr)
		})
	}
}

func TestValidateStdin(t *testing.T) {
	for _, args := range [][]string{{"validate"}, {"validate", "-"}} {
		code, stdout, _ := runCLI(`[{"name":"b","metric":"aws:listening-tcp-ports","criteria":{"comparisonOperator":"in-port-set","value":{"ports":[70000]}}}]`, args...)
		assert.Equal(t, 1, code)
		assert.Equal(t, `{"valid":false,"validationErrors":[{"errorMessage":"Behavior b is malformed. value.ports[0] 70000 should be in range[0,65535]"}]}`+"\n", stdout)
	}
	code, stdout, _ := runCLI(`42`, "validate")
	assert.Equal(t, 1, code, "JSON that is not a document is invalid, not unreadable")
	assert.Contains(t, stdout, `"valid":false`)
}

func TestValidateUnreadable(t *testing.T) {
	code, stdout, stderr := runCLI("", "validate", filepath.Join("testdata", "malformed.json"))
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "malformed.json")
	assert.Contains(t, stderr, "(line 3, column 36)")

	code, stdout, stderr = runCLI("", "validate", filepath.Join("testdata", "no-such-file.json"))
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "no-such-file.json")

	code, _, stderr = runCLI("", "validate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "empty input (line 1, column 1)")
}

func TestUsage(t *testing.T) {
	code, stdout, _ := runCLI("", "validate", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "usage: ruledetect validate [FILE|-]")
	assert.Contains(t, stdout, "Exit status: 0 valid, 1 invalid, 2 unreadable")

	code, stdout, _ = runCLI("", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "validate  validate a security profile")

	code, _, stderr := runCLI("")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "usage: ruledetect COMMAND")

	code, _, stderr = runCLI("", "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)

	code, _, stderr = runCLI("", "validate", "a.json", "b.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "at most one FILE")

	code, _, _ = runCLI("", "validate", "--bogus")
	assert.Equal(t, 2, code)
}

// TestHelpAndFlagErrors: -h prints the usage once, to standard output, and
// exits 0; a bad flag prints one line and a hint to -h on standard error
// and exits 2; the same for ruledetect and each subcommand.
func TestHelpAndFlagErrors(t *testing.T) {
	for _, cmd := range []string{"", "validate", "replay", "demo", "test", "serve"} {
		name := cmp.Or(cmd, "ruledetect")
		prefix := func(args ...string) []string {
			if cmd == "" {
				return args
			}
			return append([]string{cmd}, args...)
		}
		t.Run(name, func(t *testing.T) {
			for _, h := range []string{"-h", "--help"} {
				code, stdout, stderr := runCLI("", prefix(h)...)
				assert.Equal(t, 0, code)
				assert.Empty(t, stderr)
				assert.Equal(t, 1, strings.Count(stdout, "usage: ruledetect"), stdout)
			}
			code, stdout, stderr := runCLI("", prefix("--bogus")...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			hint := "Run 'ruledetect -h' for usage.\n"
			if cmd != "" {
				hint = "Run 'ruledetect " + cmd + " -h' for usage.\n"
			}
			lines := strings.SplitAfter(stderr, "\n")
			require.Len(t, lines, 3, stderr) // the message, the hint, ""
			assert.Contains(t, lines[0], "-bogus")
			assert.Equal(t, hint, lines[1])
		})
	}
}

// TestUsageNamesEveryFlag: each subcommand's -h output, and the README,
// describe every flag the subcommand defines.
func TestUsageNamesEveryFlag(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	defer func() { parsedFlagSet = nil }()
	for _, cmd := range []string{"validate", "replay", "demo", "test", "serve"} {
		var fs *flag.FlagSet
		parsedFlagSet = func(f *flag.FlagSet) { fs = f }
		code, stdout, _ := runCLI("", cmd, "-h")
		require.Equal(t, 0, code)
		require.NotNil(t, fs)
		fs.VisitAll(func(f *flag.Flag) {
			described := regexp.MustCompile(`(?m)^ +--` + regexp.QuoteMeta(f.Name) + `( |$)`)
			assert.True(t, described.MatchString(stdout), "%s -h does not describe --%s", cmd, f.Name)
			assert.True(t, strings.Contains(string(readme), "--"+f.Name), "README does not mention %s --%s", cmd, f.Name)
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCLI("", "--version")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Equal(t, "ruledetect "+version()+"\n", stdout)
	// A test binary has no module version: the fallback.
	assert.Equal(t, "devel", version())
}
