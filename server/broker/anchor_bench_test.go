package broker

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// BenchmarkMosquittoLoad is BenchmarkBrokerLoad's anchor: the same devices,
// messages and in-flight window against Debian's mosquitto on loopback,
// where "evaluated" is a subscriber to things/# receiving the message (what
// a broker does with no evaluation at all). Run it beside the broker's:
//
//	cd server/broker && RULEDETECT_BENCH_DEVICES=1000 go test -run '^$' \
//	  -bench 'BrokerLoad|MosquittoLoad' -benchtime 200000x .
//
// It is skipped when mosquitto (/usr/sbin/mosquitto) is not installed.
func BenchmarkMosquittoLoad(b *testing.B) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			b.Skip("mosquitto is not installed (Debian package mosquitto)")
		}
	}
	for _, n := range benchDeviceCounts(b) {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) { benchMosquitto(b, bin, n) })
	}
}

func benchMosquitto(b *testing.B, bin string, devices int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(b.TempDir(), "mosquitto.conf")
	require.NoError(b, os.WriteFile(conf, []byte(fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n", port)), 0o644))
	cmd := exec.Command(bin, "-c", conf)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		require.True(b, time.Now().Before(deadline), "mosquitto did not start")
		time.Sleep(20 * time.Millisecond)
	}

	per := max(b.N/devices, 1)
	lat := &latencies{devices: make([]deviceLatency, devices), done: make(chan struct{}), want: per * devices}
	for i := range lat.devices {
		lat.devices[i].inflight = make(chan struct{}, window)
	}
	sub, err := dial(b, addr, "anchor-subscriber", "", "")
	require.NoError(b, err)
	var mu sync.Mutex
	tok := sub.Subscribe("things/#", 0, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(m.Topic(), "things/dev-"), "%d", &i); err != nil {
			return
		}
		lat.receivedFrom(i)
	})
	require.True(b, tok.WaitTimeout(10*time.Second))
	require.NoError(b, tok.Error())
	clients := make([]paho.Client, devices)
	for i := range devices {
		id := fmt.Sprintf("dev-%d", i)
		clients[i], err = dial(b, addr, id, "", "")
		require.NoError(b, err)
	}
	elapsed, cpu := runDevices(b, clients, per, lat)
	if cpu > 0 {
		// The devices and the subscriber only: mosquitto is another process.
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "client-cpu-cores")
	}
}
