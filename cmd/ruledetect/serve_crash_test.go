package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The crash test: `ruledetect serve --data DIR` under a steady load of
// device reports is killed with SIGKILL at 10 random (seeded) points and
// restarted each time; its violation events at the end equal those of an
// uninterrupted run of the same sequence: none lost, none duplicated.
//
// Times: inputs are stamped at receipt, so both runs use the test-only
// clock file (RULEDETECT_TESTONLY_CLOCK_FILE): step i of the sequence is
// received at crashT0 + i·20s whatever the wall clock says.
//
// Acknowledgement: the generator is one device fleet sending one report at
// a time and waiting for its …/accepted reply, which the server publishes
// only after the report was appended to the log and applied. A report
// whose reply did not arrive before the kill is sent again after the
// restart, at the same (test clock) time, as a device would: it may have
// been logged already, so the profile is one on which applying a thing's
// latest report twice changes no event (every report of a thing flips its
// verdict, and a repeat of the latest report repeats its verdict).

var crashT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

const (
	crashSteps  = 120
	crashThings = 3
	crashKills  = 10
	crashKey    = "AKIDCRASH"
	crashSecret = "crash-secret"
	crashRegion = "us-east-1"
)

const crashProfile = `{"behaviors":[{"name":"ports","metric":"aws:num-listening-tcp-ports","criteria":{"comparisonOperator":"greater-than","value":{"count":2},"consecutiveDatapointsToAlarm":1,"consecutiveDatapointsToClear":1}}]}`

// crashReport is step i's report: thing i%3's (i/3)-th report, with three
// ports (violating) and one port (compliant) in turn.
func crashReport(i int) (thing string, payload string) {
	ports := `{"port":1}`
	if (i/crashThings)%2 == 0 {
		ports = `{"port":1},{"port":2},{"port":3}`
	}
	return fmt.Sprintf("thing-%d", i%crashThings),
		fmt.Sprintf(`{"header":{"report_id":%d,"version":"1.0"},"metrics":{"listening_tcp_ports":{"ports":[%s]}}}`, i+1, ports)
}

func TestServeCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it a dozen times")
	}
	bin := filepath.Join(t.TempDir(), "ruledetect")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	rng := rand.New(rand.NewPCG(14, 3))
	kills := map[int]time.Duration{}
	for len(kills) < crashKills {
		kills[3+rng.IntN(crashSteps-4)] = time.Duration(rng.IntN(600)) * time.Microsecond
	}
	want := runCrashSequence(t, bin, nil)
	// The behavior states normal behavior (more than two ports): a thing's
	// first report is normal, and every later one flips its verdict.
	require.Len(t, want, crashSteps-crashThings, "one event per report but the first of each thing")
	got := runCrashSequence(t, bin, kills)
	assert.Equal(t, want, got)
}

// crashServer is one run of the binary.
type crashServer struct {
	cmd       *exec.Cmd
	http, mqt string
	logs      *syncBuffer
	exited    chan struct{}
}

func startCrashServer(t *testing.T, bin, dir, clock, passwords string) *crashServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0",
		"--mqtt-passwords", passwords, "--data", dir, "--snapshot-every", "25", "--snapshot-interval", "700ms",
		"--access-key", crashKey+":"+crashSecret, "--log-level", "info")
	cmd.Env = append(os.Environ(), testClockEnv+"="+clock)
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	s := &crashServer{cmd: cmd, logs: &syncBuffer{}, exited: make(chan struct{})}
	addrs := make(chan [2]string, 1)
	go func() {
		lines := bufio.NewScanner(pipe)
		var got [2]string
		for lines.Scan() {
			s.logs.Write(append(lines.Bytes(), '\n'))
			var rec map[string]any
			if json.Unmarshal(lines.Bytes(), &rec) != nil {
				continue
			}
			a, _ := rec["addr"].(string)
			switch rec["msg"] {
			case "listening":
				got[0] = a
			case "mqtt broker listening":
				got[1] = a
			default:
				continue
			}
			if got[0] != "" && got[1] != "" {
				addrs <- got
			}
		}
		io.Copy(io.Discard, pipe)
	}()
	go func() { cmd.Wait(); close(s.exited) }()
	select {
	case a := <-addrs:
		s.http, s.mqt = a[0], a[1]
	case <-s.exited:
		t.Fatalf("serve exited: %s", s.logs.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start: %s", s.logs.String())
	}
	// The broker starts after recovery: the HTTP API must be ready by now.
	resp, err := http.Get("http://" + s.http + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	return s
}

// setCrashClock sets the test clock file atomically.
func setCrashClock(t *testing.T, file string, at time.Time) {
	tmp := file + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(at.Format(time.RFC3339Nano)), 0o600))
	require.NoError(t, os.Rename(tmp, file))
}

// crashDevices are the things' MQTT clients on one server run; replies
// receives the report ids of the accepted replies.
type crashDevices struct {
	clients []paho.Client
	replies chan int64
	stop    chan struct{}
	noise   sync.WaitGroup
}

func connectCrashDevices(t *testing.T, addr string) *crashDevices {
	d := &crashDevices{replies: make(chan int64, 64), stop: make(chan struct{})}
	for k := range crashThings + 1 {
		id := fmt.Sprintf("thing-%d", k)
		o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetUsername(id).SetPassword("pw-" + id).
			SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
		c := paho.NewClient(o)
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		require.NoError(t, tok.Error())
		sub := c.Subscribe("$aws/things/"+id+"/defender/metrics/json/accepted", 0, func(_ paho.Client, m paho.Message) {
			var r struct {
				ReportID int64 `json:"reportId"`
			}
			if json.Unmarshal(m.Payload(), &r) == nil {
				d.replies <- r.ReportID
			}
		})
		require.True(t, sub.WaitTimeout(10*time.Second))
		require.NoError(t, sub.Error())
		d.clients = append(d.clients, c)
	}
	// The load: thing-3 publishes a message every 2 ms, so that records are
	// in flight whenever the server is killed. The profile has no behavior
	// it feeds: they change no event, whether or not they were logged.
	noise := d.clients[crashThings]
	d.noise.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
				noise.Publish("thing-3/load", 0, false, "x")
			}
		}
	})
	return d
}

func (d *crashDevices) close() {
	close(d.stop)
	d.noise.Wait()
	for _, c := range d.clients {
		c.Disconnect(0)
	}
}

// send publishes step i's report and waits for its accepted reply; false
// when none came (the server was killed).
func (d *crashDevices) send(i int, wait time.Duration) bool {
	thing, payload := crashReport(i)
	d.clients[i%crashThings].Publish("$aws/things/"+thing+"/defender/metrics/json", 0, false, payload)
	timeout := time.After(wait)
	for {
		select {
		case id := <-d.replies:
			if id == int64(i+1) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// runCrashSequence runs the whole sequence on a fresh data directory,
// killing the server before the steps in kills (after the delay), and
// returns the violation events at the end.
func runCrashSequence(t *testing.T, bin string, kills map[int]time.Duration) []string {
	dir := t.TempDir()
	clock := filepath.Join(dir, "clock")
	passwords := filepath.Join(dir, "passwords")
	var pw strings.Builder
	for k := range crashThings + 1 { // thing-3 is the background load
		fmt.Fprintf(&pw, "thing-%d:pw-thing-%d\n", k, k)
	}
	require.NoError(t, os.WriteFile(passwords, []byte(pw.String()), 0o600))
	data := filepath.Join(dir, "data")
	setCrashClock(t, clock, crashT0)

	s := startCrashServer(t, bin, data, clock, passwords)
	defer func() { s.cmd.Process.Kill(); <-s.exited }()
	crashCall(t, s.http, "POST", "/security-profiles/crash", "", crashProfile, 200)
	crashCall(t, s.http, "PUT", "/security-profiles/crash/targets",
		"securityProfileTargetArn="+url.QueryEscape("arn:aws:iot:us-east-1:123456789012:all/things"), "", 200)
	devs := connectCrashDevices(t, s.mqt)
	restarts, resent := 0, 0
	for i := 0; i < crashSteps; i++ {
		setCrashClock(t, clock, crashT0.Add(time.Duration(i)*20*time.Second))
		delay, kill := kills[i]
		if !kill {
			require.True(t, devs.send(i, 10*time.Second), "step %d: no accepted reply: %s", i, s.logs.String())
			continue
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			time.Sleep(delay)
			s.cmd.Process.Signal(syscall.SIGKILL)
		})
		acked := devs.send(i, time.Second)
		wg.Wait()
		<-s.exited
		devs.close()
		s = startCrashServer(t, bin, data, clock, passwords)
		restarts++
		devs = connectCrashDevices(t, s.mqt)
		if !acked {
			resent++
			// At least once, as a device does: the report may be in the log.
			require.True(t, devs.send(i, 10*time.Second), "step %d after restart: no accepted reply: %s", i, s.logs.String())
		}
	}
	assert.Equal(t, len(kills), restarts)
	if kills != nil {
		t.Logf("%d kills, %d of them before the report in flight was acknowledged", restarts, resent)
	}
	// Past the allowed lateness, every held datapoint is judged.
	setCrashClock(t, clock, crashT0.Add(time.Duration(crashSteps)*20*time.Second+time.Minute))
	var events []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		events = crashEvents(t, s.http)
		if len(events) >= crashSteps-crashThings || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	devs.close()
	// A graceful stop drains the log and snapshots; the restart after it
	// restores the same events.
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	<-s.exited
	assert.Equal(t, 0, s.cmd.ProcessState.ExitCode(), s.logs.String())
	s = startCrashServer(t, bin, data, clock, passwords)
	assert.Equal(t, events, crashEvents(t, s.http), "after SIGTERM and a restart")
	return events
}

// crashEvents lists every violation event through the HTTP API, in the
// API's order, one line each (id, thing, type, time, value).
func crashEvents(t *testing.T, addr string) []string {
	var all []string
	token := ""
	for {
		q := url.Values{"startTime": {crashT0.Add(-time.Hour).Format(time.RFC3339)}, "endTime": {crashT0.Add(24 * time.Hour).Format(time.RFC3339)},
			"maxResults": {"100"}}
		if token != "" {
			q.Set("nextToken", token)
		}
		body := crashCall(t, addr, "GET", "/violation-events", q.Encode(), "", 200)
		var page struct {
			ViolationEvents []map[string]any `json:"violationEvents"`
			NextToken       string           `json:"nextToken"`
		}
		require.NoError(t, json.Unmarshal(body, &page))
		for _, ev := range page.ViolationEvents {
			v, _ := json.Marshal(ev["metricValue"])
			all = append(all, fmt.Sprintf("%v %v %v %v %s", ev["violationId"], ev["thingName"], ev["violationEventType"], ev["violationEventTime"], v))
		}
		if token = page.NextToken; token == "" {
			return all
		}
	}
}

// crashCall makes a SigV4-signed API call and checks its status.
func crashCall(t *testing.T, addr, method, path, query, body string, status int) []byte {
	t.Helper()
	u := "http://" + addr + path
	if query != "" {
		u += "?" + query
	}
	r, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	sigV4Sign(r, []byte(body), crashKey, crashSecret, crashRegion, time.Now())
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "%s %s: %s", method, path, out)
	return out
}

// sigV4Sign signs r as an AWS SDK does (service "iot"; host and x-amz-date
// signed), as the test's client.
func sigV4Sign(r *http.Request, body []byte, id, secret, region string, now time.Time) {
	now = now.UTC()
	amzDate, date := now.Format("20060102T150405Z"), now.Format("20060102")
	r.Header.Set("X-Amz-Date", amzDate)
	var params []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			params = append(params, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(params)
	sum := sha256.Sum256(body)
	canonical := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(params, "&"),
		"host:" + r.URL.Host + "\nx-amz-date:" + amzDate + "\n", "host;x-amz-date", hex.EncodeToString(sum[:])}, "\n")
	scope := date + "/" + region + "/iot/aws4_request"
	crSum := sha256.Sum256([]byte(canonical))
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	mac := func(key []byte, s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	for _, part := range []string{region, "iot", "aws4_request"} {
		k = mac(k, part)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+id+"/"+scope+", SignedHeaders=host;x-amz-date, Signature="+hex.EncodeToString(mac(k, sts)))
}

// awsEscape is RFC 3986 percent-encoding as SigV4 wants it.
func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
