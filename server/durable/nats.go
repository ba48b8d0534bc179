package durable

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// embeddedMaxPayload is the embedded server's largest message: a record
// carries a control-plane body of up to the HTTP API's 1 MiB limit, in
// base64 inside JSON.
const embeddedMaxPayload = 8 << 20

// subjectOf is the subject a stream's records are published on.
func subjectOf(stream string) string { return strings.ToLower(stream) + ".log" }

// connect starts the embedded NATS server (no listener: in-process
// connections only) or dials cfg.NATSURL, and creates the stream when it
// does not exist yet.
func (l *Log) connect(ctx context.Context) error {
	var opts []nats.Option
	url := l.cfg.NATSURL
	if url == "" {
		ns, err := natsserver.NewServer(&natsserver.Options{
			ServerName: "ruledetect", DontListen: true, NoSigs: true, NoLog: true,
			JetStream: true, StoreDir: filepath.Join(l.cfg.Dir, "nats"), SyncAlways: l.cfg.SyncAlways,
			MaxPayload: embeddedMaxPayload,
		})
		if err != nil {
			return fmt.Errorf("%w: embedded NATS server: %v", ErrLog, err)
		}
		l.ns = ns
		ns.Start()
		if !ns.ReadyForConnections(30 * time.Second) {
			return fmt.Errorf("%w: embedded NATS server did not start", ErrLog)
		}
		opts = append(opts, nats.InProcessServer(ns))
	}
	opts = append(opts, nats.Name("ruledetect"), nats.MaxReconnects(-1))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("%w: connect to NATS: %v", ErrLog, err)
	}
	l.nc = nc
	if l.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(l.cfg.AppendTimeout)); err != nil {
		return fmt.Errorf("%w: JetStream: %v", ErrLog, err)
	}
	cfg := jetstream.StreamConfig{
		Name: l.cfg.Stream, Subjects: []string{l.subject},
		Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy,
		// Nothing is ever discarded by a limit: old records go only when a
		// snapshot includes them (Purge).
		Discard: jetstream.DiscardNew,
	}
	l.stream, err = l.js.Stream(ctx, l.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		l.stream, err = l.js.CreateStream(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("%w: stream %s: %v", ErrLog, l.cfg.Stream, err)
	}
	return nil
}

// shutdownNATS closes the connection and stops the embedded server.
func (l *Log) shutdownNATS() {
	if l.nc != nil {
		l.nc.Drain()
		l.nc.Close()
	}
	if l.ns != nil {
		l.ns.Shutdown()
		l.ns.WaitForShutdown()
	}
}
