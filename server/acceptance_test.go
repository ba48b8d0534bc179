package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The acceptance tests drive a server on loopback with the real AWS CLI and
// boto3. They are skipped when the tool is absent, except under CI (CI set),
// where its absence fails the test: .ci/run installs them.

const accessKey, secretKey = "AKIDACCEPTANCE", "acceptance/secret+key"

// requireTool returns the path of a tool the test needs.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// startServer runs a server around a fresh us-east-1 engine that retains
// an hour of metric values on 127.0.0.1:0 until the test ends.
func startServer(t *testing.T) (*server.Server, string) {
	t.Helper()
	eng, err := ruledetect.New(ruledetect.WithRegion("us-east-1"), ruledetect.WithAccount("123456789012"),
		ruledetect.WithMetricRetention(ruledetect.MetricRetention{Duration: time.Hour}))
	require.NoError(t, err)
	srv, err := server.New(server.Config{
		Engine: eng, Credentials: map[string]string{accessKey: secretKey},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return srv, "http://" + ln.Addr().String()
}

// clientEnv is the environment of an AWS client: the test's keys and no
// configuration of the machine's user.
func clientEnv(t *testing.T, secret string) []string {
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
		"HOME=" + dir,
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "PATH" || k == "PYENV_ROOT" || k == "PYENV_VERSION" || k == "LANG" {
			env = append(env, kv)
		}
	}
	return env
}

// cli runs `aws iot …` against one server.
type cli struct {
	t        *testing.T
	aws      string
	endpoint string
}

// run runs aws iot args with secret as the secret key and returns stdout,
// stderr and the exit code (bounded: a minute per command).
func (c cli) run(secret string, args ...string) ([]byte, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append([]string{"iot"}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--region", "us-east-1", "--output", "json")
	cmd := exec.CommandContext(ctx, c.aws, full...)
	cmd.Env = clientEnv(c.t, secret)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(c.t, err)
	}
	return []byte(stdout.String()), stderr.String(), code
}

// ok runs a command that must succeed and decodes its output (nil when it
// prints nothing).
func (c cli) ok(args ...string) map[string]any {
	c.t.Helper()
	out, stderr, code := c.run(secretKey, args...)
	require.Equal(c.t, 0, code, "aws iot %s: %s", strings.Join(args, " "), stderr)
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil
	}
	var v map[string]any
	require.NoError(c.t, json.Unmarshal(out, &v), string(out))
	return v
}

// fails runs a command that must fail with the service error code and
// returns its message.
func (c cli) fails(code string, args ...string) string {
	c.t.Helper()
	_, stderr, exit := c.run(secretKey, args...)
	require.NotEqual(c.t, 0, exit, "aws iot %s succeeded", strings.Join(args, " "))
	m := cliError.FindStringSubmatch(stderr)
	require.NotNil(c.t, m, stderr)
	require.Equal(c.t, code, m[1], stderr)
	return strings.TrimSpace(m[2])
}

// cliError is how the CLI reports a service error.
var cliError = regexp.MustCompile(`An error occurred \((\w+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?: (.*)`)

// readRef reads a reference file of testdata/aws.
func readRef(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// refInput writes a reference input with this server's region as a
// --cli-input-json argument.
func refInput(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	require.NoError(t, err)
	data = []byte(strings.ReplaceAll(string(data), ":us-west-2:", ":us-east-1:"))
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return "file://" + p
}

// shape reduces a JSON value to its member names, nesting and types; the
// elements of an array merge into one shape; members named like the
// model's timestamps (…Date, …Time) are "timestamp", whatever the CLI
// printed them as.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if strings.HasSuffix(k, "Date") || strings.HasSuffix(k, "Time") {
				out[k] = "timestamp"
				continue
			}
			out[k] = shape(e)
		}
		return out
	case []any:
		merged := map[string]any{}
		var scalar any
		for _, e := range v {
			if m, ok := shape(e).(map[string]any); ok {
				for k, s := range m {
					merged[k] = s
				}
			} else {
				scalar = shape(e)
			}
		}
		switch {
		case len(merged) > 0:
			return []any{merged}
		case scalar != nil:
			return []any{scalar}
		}
		return []any{}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// assertShape: got has the shape of the reference output ref.
func assertShape(t *testing.T, ref string, got map[string]any) {
	t.Helper()
	assert.Equal(t, shape(readRef(t, ref)), shape(got), "shape differs from %s", ref)
}

// seedViolations makes things send small messages, which break the
// reference profile's CellularBandwidth behavior (criteria say what is
// normal: aws:message-byte-size greater-than 128), the first thing fail
// authorization 12 times (Authorization: normal is less-than 12 in 5
// minutes), and advances the clock past the period's end, so that the
// profile has active violations and events of both behaviors.
func seedViolations(t *testing.T, eng *ruledetect.Engine, things []string, at time.Time) {
	ctx := context.Background()
	t.Helper()
	for _, th := range things {
		require.NoError(t, eng.IngestMessage(ctx, ruledetect.Message{Thing: th, Time: at, Direction: ruledetect.Sent, Topic: "t/" + th, Bytes: 10}))
	}
	for range 12 {
		require.NoError(t, eng.IngestAuthorizationFailure(ctx, ruledetect.AuthorizationFailure{Thing: things[0], Time: at, Topic: "t/denied"}))
	}
	eng.Advance(ctx, at.Add(5*time.Minute)) // one period end: the authorization alarm is not cleared yet
}

// engineEvents lists the engine's violation events directly, as JSON.
func engineEvents(t *testing.T, eng *ruledetect.Engine, from, to time.Time) []any {
	ctx := context.Background()
	t.Helper()
	var all []ruledetect.ViolationEvent
	for ev, err := range eng.ViolationEvents(ctx, ruledetect.ListViolationEventsInput{StartTime: at(from), EndTime: at(to)}) {
		require.NoError(t, err)
		all = append(all, ev)
	}
	data, err := json.Marshal(map[string]any{"violationEvents": all})
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	return v["violationEvents"].([]any)
}

func ids(list []any, key string) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)[key].(string)
	}
	return out
}

// TestAWSCLI drives the whole Detect control plane and the violation
// listings with the AWS CLI.
func TestAWSCLI(t *testing.T) {
	aws := requireTool(t, "aws")
	srv, endpoint := startServer(t)
	c := cli{t: t, aws: aws, endpoint: endpoint}

	// Dimensions.
	out := c.ok("create-dimension", "--cli-input-json", refInput(t, "cli-create-dimension.input.json"))
	assertShape(t, "cli-create-dimension.output.json", out)
	assert.Equal(t, "arn:aws:iot:us-east-1:123456789012:dimension/TopicFilterForAuthMessages", out["arn"])
	assertShape(t, "cli-describe-dimension.output.json", c.ok("describe-dimension", "--name", "TopicFilterForAuthMessages"))
	out = c.ok("update-dimension", "--cli-input-json", refInput(t, "cli-update-dimension.input.json"))
	assertShape(t, "cli-update-dimension.output.json", out)
	assert.Equal(t, []any{"device/${iot:ClientId}/auth"}, out["stringValues"])
	assertShape(t, "cli-list-dimensions.output.json", c.ok("list-dimensions"))
	msg := c.fails("ResourceNotFoundException", "describe-dimension", "--name", "nope")
	assert.Contains(t, msg, "nope")

	// Custom metrics.
	assertShape(t, "cli-create-custom-metric.output.json", c.ok("create-custom-metric", "--cli-input-json", refInput(t, "cli-create-custom-metric.input.json")))
	c.fails("ResourceAlreadyExistsException", "create-custom-metric", "--metric-name", "batteryPercentage", "--metric-type", "string-list", "--client-request-token", "other")
	out = c.ok("describe-custom-metric", "--metric-name", "batteryPercentage")
	assert.Equal(t, "Remaining battery percentage.", out["displayName"])
	assertShape(t, "cli-update-custom-metric.output.json", c.ok("update-custom-metric", "--cli-input-json", refInput(t, "cli-update-custom-metric.input.json")))
	assertShape(t, "cli-list-custom-metrics.output.json", c.ok("list-custom-metrics"))

	// Validation, with AWS's message.
	assert.Equal(t, readRef(t, "cli-validate-security-profile-behaviors-valid.output.json"),
		c.ok("validate-security-profile-behaviors", "--cli-input-json", refInput(t, "cli-validate-security-profile-behaviors-valid.input.json")))
	assert.Equal(t, readRef(t, "cli-validate-security-profile-behaviors-invalid.output.json"),
		c.ok("validate-security-profile-behaviors", "--cli-input-json", refInput(t, "cli-validate-security-profile-behaviors-invalid.input.json")))
	msg = c.fails("InvalidRequestException", "create-security-profile", "--security-profile-name", "Bad",
		"--behaviors", `[{"name":"Authorization","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"greater-than","value":{"count":12},"durationSeconds":300,"consecutiveDatapointsToAlarm":100000}}]`)
	assert.Equal(t, "Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]", msg)

	// Security profiles, versions and the expectedVersion conflict.
	out = c.ok("create-security-profile", "--cli-input-json", refInput(t, "cli-create-security-profile.input.json"))
	assertShape(t, "cli-create-security-profile.output.json", out)
	assertShape(t, "cli-describe-security-profile.output.json", c.ok("describe-security-profile", "--security-profile-name", "PossibleIssue"))
	out = c.ok("update-security-profile", "--cli-input-json", refInput(t, "cli-update-security-profile.input.json"), "--expected-version", "1")
	assertShape(t, "cli-update-security-profile.output.json", out)
	assert.EqualValues(t, 2, out["version"])
	c.fails("VersionConflictException", "update-security-profile", "--security-profile-name", "PossibleIssue", "--security-profile-description", "x", "--expected-version", "1")
	c.fails("VersionConflictException", "delete-security-profile", "--security-profile-name", "PossibleIssue", "--expected-version", "7")
	c.fails("ResourceNotFoundException", "update-security-profile", "--security-profile-name", "Nope", "--security-profile-description", "x")
	for _, name := range []string{"Second", "Testprofile"} {
		c.ok("create-security-profile", "--security-profile-name", name)
	}
	assertShape(t, "cli-list-security-profiles.output.json", c.ok("list-security-profiles"))

	// Paging: the CLI's own --max-items/--starting-token, and the raw nextToken.
	var names []string
	token := ""
	for range 5 {
		args := []string{"list-security-profiles", "--max-items", "1"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		page := c.ok(args...)
		require.Len(t, page["securityProfileIdentifiers"], 1)
		names = append(names, ids(page["securityProfileIdentifiers"].([]any), "name")...)
		next, _ := page["NextToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, []string{"PossibleIssue", "Second", "Testprofile"}, names)
	raw := c.ok("list-security-profiles", "--max-results", "2", "--no-paginate")
	require.Len(t, raw["securityProfileIdentifiers"], 2)
	require.NotEmpty(t, raw["nextToken"])
	raw = c.ok("list-security-profiles", "--max-results", "2", "--no-paginate", "--next-token", raw["nextToken"].(string))
	assert.Equal(t, []string{"Testprofile"}, ids(raw["securityProfileIdentifiers"].([]any), "name"))
	assert.Nil(t, raw["nextToken"])
	c.fails("InvalidRequestException", "list-security-profiles", "--no-paginate", "--next-token", "garbage")

	// Targets.
	c.ok("attach-security-profile", "--cli-input-json", refInput(t, "cli-attach-security-profile.input.json"))
	c.ok("attach-security-profile", "--security-profile-name", "PossibleIssue", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/unregistered-things")
	c.fails("InvalidRequestException", "attach-security-profile", "--security-profile-name", "PossibleIssue", "--security-profile-target-arn", "arn:aws:iot:eu-west-1:1:all/things")
	c.fails("ResourceNotFoundException", "attach-security-profile", "--security-profile-name", "Nope", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/things")
	c.ok("attach-security-profile", "--security-profile-name", "Second", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/registered-things")
	assertShape(t, "cli-list-targets-for-security-profile.output.json", c.ok("list-targets-for-security-profile", "--security-profile-name", "PossibleIssue"))
	out = c.ok("list-security-profiles-for-target", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/unregistered-things")
	assertShape(t, "cli-list-security-profiles-for-target.output.json", out)
	out = c.ok("list-security-profiles-for-target", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/things", "--recursive")
	assert.Len(t, out["securityProfileTargetMappings"], 3)

	// Thing-group membership, read back from the Engine.
	c.ok("add-thing-to-thing-group", "--thing-name", "thing-9", "--thing-group-name", "lab")
	c.ok("update-thing-groups-for-thing", "--thing-name", "thing-9", "--thing-groups-to-add", "cams", "--thing-groups-to-remove", "lab")
	groups, registered := srv.Engine().ThingGroups("thing-9")
	assert.Equal(t, []string{"cams"}, groups)
	assert.True(t, registered)
	c.ok("remove-thing-from-thing-group", "--thing-arn", "arn:aws:iot:us-east-1:123456789012:thing/thing-9", "--thing-group-name", "cams")
	groups, _ = srv.Engine().ThingGroups("thing-9")
	assert.Empty(t, groups)

	// Violations: things ingest through the Engine (the data plane is MQTT's).
	start := time.Now().UTC().Truncate(time.Second)
	seedViolations(t, srv.Engine(), []string{"thing-1", "thing-2", "thing-3"}, start)
	from, to := start.Add(-time.Hour).Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)
	active := c.ok("list-active-violations", "--security-profile-name", "PossibleIssue")
	assertShape(t, "cli-list-active-violations.output.json", withoutMembers(active, "verificationState", "verificationStateDescription", "behavior.suppressAlerts"))
	require.NotEmpty(t, active["activeViolations"])
	events := c.ok("list-violation-events", "--start-time", from, "--end-time", to)
	assertShape(t, "cli-list-violation-events.output.json", withoutMembers(events, "verificationState", "verificationStateDescription", "behavior.suppressAlerts"))
	want := engineEvents(t, srv.Engine(), start.Add(-time.Hour), start.Add(time.Hour))
	require.GreaterOrEqual(t, len(want), 3)
	assert.Equal(t, want, events["violationEvents"], "the CLI lists the engine's events")

	// Paging through events with --max-items and --starting-token.
	var got []string
	token = ""
	for range len(want) + 1 {
		args := []string{"list-violation-events", "--start-time", from, "--end-time", to, "--max-items", "2"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		page := c.ok(args...)
		got = append(got, ids(page["violationEvents"].([]any), "violationId")...)
		next, _ := page["NextToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	assert.Equal(t, ids(want, "violationId"), got)
	c.fails("InvalidRequestException", "list-violation-events", "--start-time", from, "--end-time", to, "--max-results", "251")

	// Retained metric values: the message each thing sent, as the engine lists them.
	values := c.ok("list-metric-values", "--thing-name", "thing-1", "--metric-name", "aws:message-byte-size", "--start-time", from, "--end-time", to)
	direct, err := srv.Engine().ListMetricValues(context.Background(), ruledetect.ListMetricValuesInput{
		ThingName: "thing-1", MetricName: "aws:message-byte-size", StartTime: at(start.Add(-time.Hour)), EndTime: at(start.Add(time.Hour))})
	require.NoError(t, err)
	require.Len(t, direct.MetricDatumList, 1)
	wantValues, err := json.Marshal(direct)
	require.NoError(t, err)
	var wantJSON map[string]any
	require.NoError(t, json.Unmarshal(wantValues, &wantJSON))
	assert.Equal(t, wantJSON, values)
	assert.EqualValues(t, 10, values["metricDatumList"].([]any)[0].(map[string]any)["value"].(map[string]any)["count"])
	c.fails("InvalidRequestException", "list-metric-values", "--thing-name", "thing-1", "--metric-name", "aws:message-byte-size",
		"--start-time", from, "--end-time", to, "--dimension-value-operator", "IN")

	// Verification state.
	vid := active["activeViolations"].([]any)[0].(map[string]any)["violationId"].(string)
	c.ok("put-verification-state-on-violation", "--violation-id", vid, "--verification-state", "FALSE_POSITIVE", "--verification-state-description", "test rig")
	fp := c.ok("list-active-violations", "--verification-state", "FALSE_POSITIVE")
	require.Len(t, fp["activeViolations"], 1)
	assert.Equal(t, "test rig", fp["activeViolations"].([]any)[0].(map[string]any)["verificationStateDescription"])
	c.fails("ResourceNotFoundException", "put-verification-state-on-violation", "--violation-id", "00000000000000000000000000000000", "--verification-state", "BENIGN_POSITIVE")
	c.fails("InvalidRequestException", "put-verification-state-on-violation", "--violation-id", vid, "--verification-state", "MAYBE")

	// A wrong secret is refused with 403 before anything runs.
	_, stderr, code := c.run("wrong-secret", "list-dimensions")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "(InvalidSignatureException)")

	// Clean-up, in the order the service requires.
	c.ok("detach-security-profile", "--security-profile-name", "PossibleIssue", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/unregistered-things")
	c.fails("ResourceNotFoundException", "detach-security-profile", "--security-profile-name", "PossibleIssue", "--security-profile-target-arn", "arn:aws:iot:us-east-1:123456789012:all/unregistered-things")
	c.ok("delete-security-profile", "--security-profile-name", "PossibleIssue", "--expected-version", "2")
	c.ok("delete-custom-metric", "--metric-name", "batteryPercentage")
	c.ok("delete-dimension", "--name", "TopicFilterForAuthMessages")
	out = c.ok("list-dimensions")
	assert.Empty(t, out["dimensionNames"])
	names = nil
	for _, p := range c.ok("list-security-profiles")["securityProfileIdentifiers"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"Second", "Testprofile"}, slices.Sorted(slices.Values(names)))
}

// withoutMembers drops members the reference output lacks because its
// example predates them or did not set them (dotted: inside an element).
func withoutMembers(v map[string]any, members ...string) map[string]any {
	data, _ := json.Marshal(v)
	var out map[string]any
	json.Unmarshal(data, &out)
	for _, list := range out {
		arr, ok := list.([]any)
		if !ok {
			continue
		}
		for _, e := range arr {
			m := e.(map[string]any)
			for _, name := range members {
				if parent, child, ok := strings.Cut(name, "."); ok {
					if pm, ok := m[parent].(map[string]any); ok {
						delete(pm, child)
					}
					continue
				}
				delete(m, name)
			}
		}
	}
	return out
}

func at(t time.Time) behavior.Timestamp { return behavior.At(t) }

// pythonWithBoto3 returns the first python3 that imports boto3: the one on
// PATH, else Debian's (python3-boto3, which .ci/run installs).
func pythonWithBoto3(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("boto3 is required under CI (tried %v)", candidates)
	}
	t.Skip("boto3 not installed")
	return ""
}

// TestBoto3 drives the server with boto3 (testdata/boto3_detect.py):
// every Detect operation, the modeled exceptions with their HTTP statuses,
// boto3's paginators, and the three ways to fail authentication.
func TestBoto3(t *testing.T) {
	python := pythonWithBoto3(t)
	srv, endpoint := startServer(t)
	eng := srv.Engine()
	ctx := context.Background()
	seeded, err := behavior.ParseSecurityProfile([]byte(`{"securityProfileName":"Seeded","behaviors":[
		{"name":"CellularBandwidth","metric":"aws:message-byte-size","criteria":{"comparisonOperator":"greater-than","value":{"count":128},"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}},
		{"name":"Authorization","metric":"aws:num-authorization-failures","criteria":{"comparisonOperator":"less-than","value":{"count":12},"durationSeconds":300}}]}`))
	require.NoError(t, err)
	_, err = eng.CreateSecurityProfile(ctx, *seeded)
	require.NoError(t, err)
	require.NoError(t, eng.AttachSecurityProfile(ctx, "Seeded", "arn:aws:iot:us-east-1:123456789012:all/things"))
	start := time.Now().UTC().Truncate(time.Second)
	seedViolations(t, eng, []string{"dev-1", "dev-2"}, start)
	events := engineEvents(t, eng, start.Add(-time.Hour), start.Add(time.Hour))
	require.NotEmpty(t, events)

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, python, filepath.Join("testdata", "boto3_detect.py"))
	cmd.Env = append(clientEnv(t, secretKey),
		"ENDPOINT="+endpoint, "ACCESS_KEY="+accessKey, "SECRET_KEY="+secretKey,
		fmt.Sprintf("EXPECTED_EVENTS=%d", len(events)),
		"START="+start.Add(-time.Hour).Format(time.RFC3339), "END="+start.Add(time.Hour).Format(time.RFC3339))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "ok\n", string(out))
	groups, registered := eng.ThingGroups("dev-9")
	assert.Equal(t, []string{"cams"}, groups, "the script's membership changes reached the engine")
	assert.True(t, registered)
}
