package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
	"github.com/ruledetect/ruledetect/server/broker"
	"github.com/ruledetect/ruledetect/server/durable"
)

// durableConfig is serve's --data, --nats and snapshot flags.
type durableConfig struct {
	dir, natsURL     string
	snapshotEvery    uint64
	snapshotInterval time.Duration
}

const durableUsage = `  --data DIR               keep the state in DIR: every input and every control-plane
                           change is appended to a log (an embedded NATS JetStream file store
                           in DIR) before it is applied, snapshots are written to DIR, and a
                           restart restores the newest snapshot and replays the log after it
                           (/readyz answers 503 until it has caught up); off when empty
  --nats URL               keep the log in this NATS server or cluster (with JetStream)
                           instead of the embedded one (snapshots stay in --data DIR)
  --snapshot-every N       snapshot after N logged records (default 100000)
  --snapshot-interval DURATION
                           snapshot at least this often while records arrive (default 1m)
`

func addDurableFlags(fs *flag.FlagSet, c *durableConfig) {
	fs.StringVar(&c.dir, "data", "", "")
	fs.StringVar(&c.natsURL, "nats", "", "")
	fs.Uint64Var(&c.snapshotEvery, "snapshot-every", durable.DefaultSnapshotEvery, "")
	fs.DurationVar(&c.snapshotInterval, "snapshot-interval", durable.DefaultSnapshotInterval, "")
}

// check says what is wrong with the flags, or "".
func (c durableConfig) check() string {
	switch {
	case c.natsURL != "" && c.dir == "":
		return "--nats needs --data DIR (where the snapshots go)"
	case c.snapshotEvery == 0:
		return "--snapshot-every must be at least 1"
	case c.snapshotInterval <= 0:
		return "--snapshot-interval must be positive"
	}
	return ""
}

// backend is the Engine serve runs and, with --data, the durable log that
// every state change goes through. Without --data its methods call the
// Engine directly.
type backend struct {
	eng *ruledetect.Engine
	log *durable.Log
}

// openBackend creates the Engine, or with --data opens the log and
// restores the Engine from the newest snapshot (Recover replays the rest).
func openBackend(ctx context.Context, c durableConfig, opts []ruledetect.Option, logger *slog.Logger) (*backend, error) {
	if c.dir == "" {
		eng, err := ruledetect.New(opts...)
		return &backend{eng: eng}, err
	}
	l, err := durable.Open(ctx, durable.Config{Dir: c.dir, NATSURL: c.natsURL, Options: opts,
		SnapshotEvery: c.snapshotEvery, SnapshotInterval: c.snapshotInterval, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &backend{eng: l.Engine(), log: l}, nil
}

// commit is the HTTP API's Config.Commit (nil without a log).
func (b *backend) commit() func(context.Context, server.Call) (any, error) {
	if b.log == nil {
		return nil
	}
	return b.log.Commit
}

// ready is the HTTP API's Config.Ready (nil, always ready, without a log).
func (b *backend) ready() func() bool {
	if b.log == nil {
		return nil
	}
	return b.log.Ready
}

// ingester is the broker's Config.Ingester (nil: the Engine).
func (b *backend) ingester() broker.Ingester {
	if b.log == nil {
		return nil
	}
	return b.log
}

// recover replays the log's tail, applying control-plane records with srv.
func (b *backend) recover(ctx context.Context, srv *server.Server) error {
	if b.log == nil {
		return nil
	}
	return b.log.Recover(ctx, srv.Apply)
}

// advance moves the Engine's clock; with a log the tick is a record too,
// so that a replay closes periods where the live service did. An error is
// the ticker's context ending (serve is stopping) or the log's failure,
// which stops serve.
func (b *backend) advance(ctx context.Context, t time.Time) error {
	if b.log == nil {
		return b.eng.Advance(ctx, t)
	}
	return b.log.Advance(ctx, t)
}

// failed is closed when the log failed (never without a log).
func (b *backend) failed() <-chan struct{} {
	if b.log == nil {
		return nil
	}
	return b.log.Failed()
}

// err is the log's failure, or nil.
func (b *backend) err() error {
	if b.log == nil {
		return nil
	}
	return b.log.Err()
}

// close drains the log and writes the final snapshot.
func (b *backend) close(ctx context.Context) error {
	if b.log == nil {
		return nil
	}
	return b.log.Close(ctx)
}

// testClockEnv names a file holding an RFC 3339 time that, when set, is
// serve's clock instead of the wall clock: inputs are stamped with it and
// the ticker advances to it. It is for tests only (the crash test runs the
// same input sequence at the same times with and without crashes) and is
// not a supported option.
const testClockEnv = "RULEDETECT_TESTONLY_CLOCK_FILE"

// serveClock returns serve's clock: time.Now, or the test clock.
func serveClock(lookup func(string) (string, bool)) func() time.Time {
	file, ok := lookup(testClockEnv)
	if !ok || file == "" {
		return time.Now
	}
	var mu sync.Mutex
	var last time.Time
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if data, err := os.ReadFile(file); err == nil {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(data))); err == nil {
				last = t
			}
		}
		if last.IsZero() {
			return time.Now()
		}
		return last
	}
}

// status is the durable log's state for /metrics: the age of the newest
// snapshot and the records appended but not yet applied (zero without a
// log).
func (b *backend) status() server.Status {
	if b.log == nil {
		return server.Status{}
	}
	st := b.log.Stats()
	s := server.Status{LogLag: uint64(st.Pending)}
	if !st.LastSnapshot.IsZero() {
		s.SnapshotAge = time.Since(st.LastSnapshot)
	}
	return s
}
