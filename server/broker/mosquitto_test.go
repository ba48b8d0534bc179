package broker

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mosquittoClients returns the paths of Debian's mosquitto_pub and
// mosquitto_sub. Without them the test is skipped, except under CI=true,
// where .ci/run installs them and their absence is a failure.
func mosquittoClients(t *testing.T) (pub, sub string) {
	t.Helper()
	pub, err1 := exec.LookPath("mosquitto_pub")
	sub, err2 := exec.LookPath("mosquitto_sub")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mosquitto-clients are required under CI: %v %v", err1, err2)
		}
		t.Skip("mosquitto_pub/mosquitto_sub not installed (apt-get install mosquitto-clients)")
	}
	return pub, sub
}

// Debian's mosquitto clients against the broker: mosquitto_sub, as the
// thing, waits for the reply; mosquitto_pub, as a gateway the ACL lets
// report on the thing's behalf, publishes a reference agent report (or a
// malformed one); the thing reads the service's accepted (or rejected)
// payload.
func TestMosquittoClientsReport(t *testing.T) {
	pub, sub := mosquittoClients(t)
	acl, err := ParseACL(strings.NewReader(defaultACL + "\ngateway-1 publish $aws/things/+/defender/metrics/+\n"))
	require.NoError(t, err)
	for _, r := range []report{sessionReports[0], sessionReports[2]} {
		t.Run(r.file, func(t *testing.T) {
			b := startBroker(t, Config{Engine: newEngine(t), ACL: acl, Now: newFakeClock(t0).Now})
			host, port, err := net.SplitHostPort(b.Addr())
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			replyTopic := r.topic + "/rejected"
			if r.accepted {
				replyTopic = r.topic + "/accepted"
			}
			var out, errOut bytes.Buffer
			subCmd := exec.CommandContext(ctx, sub, "-h", host, "-p", port, "-V", "mqttv311", "-i", "dev-1", "-u", "dev-1", "-P", "pw-1",
				"-q", "1", "-t", replyTopic, "-v", "-C", "1", "-W", "15")
			subCmd.Stdout, subCmd.Stderr = &out, &errOut
			require.NoError(t, subCmd.Start())
			deadline := time.Now().Add(10 * time.Second)
			for atomic.LoadInt64(&b.server.Info.Subscriptions) == 0 {
				if time.Now().After(deadline) {
					cancel()
					_ = subCmd.Wait() // the buffers are ours only once it has exited
					t.Fatalf("mosquitto_sub did not subscribe: %s", errOut.String())
				}
				time.Sleep(10 * time.Millisecond)
			}

			pubOut, err := exec.CommandContext(ctx, pub, "-h", host, "-p", port, "-V", "mqttv311", "-i", "gateway-1", "-u", "gateway-1", "-P", "pw-gw",
				"-q", "1", "-t", r.topic, "-f", "testdata/"+r.file).CombinedOutput()
			require.NoError(t, err, "mosquitto_pub: %s", pubOut)
			require.NoError(t, subCmd.Wait(), "mosquitto_sub: %s", errOut.String())

			topic, payload, ok := strings.Cut(strings.TrimSpace(out.String()), " ")
			require.True(t, ok, "mosquitto_sub -v prints the topic and the payload: %q", out.String())
			checkReply(t, r, topic, []byte(payload))
			want := Inputs{Connects: 2, MessagesSent: 1, MessagesReceived: 1}
			if r.accepted {
				want.Reports = 1
			}
			eventually(t, b, "the inputs", func(s Stats) bool {
				return s.Inputs.Reports == want.Reports && s.Inputs.MessagesReceived == 1 && s.Inputs.Disconnects == 2
			})
			want.Disconnects = 2
			assert.Equal(t, want, b.Stats().Inputs)
		})
	}
}
