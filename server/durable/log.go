// Package durable makes a ruledetect service lose nothing on a crash: every
// input and every state-changing control-plane call is appended to a log
// (a Store: by default a NATS JetStream stream, in an embedded NATS server
// with file storage in the data directory) before it is applied, snapshots of the
// Engine are written periodically with the log position they include, and
// a restart restores the newest snapshot and replays the log after it.
//
// One Log sits between the front ends (the HTTP API's Config.Commit, the
// MQTT broker's Config.Ingester, the clock's ticker) and the Engine. Every
// Engine call of those front ends goes through it, so that the log, in its
// order, is the whole history of the Engine's state.
package durable

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// Defaults of Config.
const (
	DefaultStream           = "RULEDETECT"
	DefaultSnapshotEvery    = 100_000
	DefaultSnapshotInterval = time.Minute
	DefaultAppendTimeout    = 30 * time.Second
)

// Config configures a Log. Dir is required.
type Config struct {
	// Dir holds the snapshots and, without NATSURL, the embedded NATS
	// server's JetStream store.
	Dir string
	// NATSURL, when set, is an external NATS server or cluster (with
	// JetStream) that holds the log instead of the embedded server.
	NATSURL string
	// Stream is the JetStream stream's name (default DefaultStream); its
	// subject is the name in lower case followed by ".log".
	Stream string
	// Options are the Engine's options (ruledetect.New's), used for a new
	// Engine and for restoring a snapshot.
	Options []ruledetect.Option
	// SnapshotEvery and SnapshotInterval: a snapshot is taken once this many
	// records were applied since the last one, or this long passed (and at
	// least one record was applied). Defaults DefaultSnapshotEvery and
	// DefaultSnapshotInterval.
	SnapshotEvery    uint64
	SnapshotInterval time.Duration
	// AppendTimeout is how long an append may wait for the log's
	// acknowledgement before the Log fails (default DefaultAppendTimeout).
	AppendTimeout time.Duration
	// SyncAlways makes the embedded server fsync every append before it
	// acknowledges it (survives power loss, not only a crash of the
	// process, at a large cost in throughput).
	SyncAlways bool
	// Logger receives the log's records (default: discard).
	Logger *slog.Logger
	// Store, when set, holds the log's records instead of NATS (NATSURL,
	// Stream, AppendTimeout and SyncAlways are then unused); the Log
	// closes it. The snapshots stay in Dir.
	Store Store
}

// Log is the durable log of one Engine. Open it, build the front ends on
// Engine, call Recover, then send every state change through Commit, the
// Ingest methods and Advance. Its methods are safe for concurrent use.
type Log struct {
	cfg     Config
	log     *slog.Logger
	engine  *ruledetect.Engine
	store   Store
	control func(context.Context, server.Call) (any, error)

	// mu makes "append, then enqueue for the applier" one step: the order
	// in which records are enqueued is the order in which they were
	// published on the one connection, which is the stream's order. The
	// applier then applies them in that order, each once its append is
	// acknowledged. So log order equals apply order, while appends are
	// pipelined (many in flight), which a lock around append+apply would
	// not allow. The Engine's own lock alone would not do: two goroutines
	// could append in one order and apply in the other.
	mu     sync.Mutex
	queue  chan *pending
	closed bool

	ready       atomic.Bool
	failure     atomic.Pointer[error]
	failed      chan struct{} // closed on the first failure
	failOnce    sync.Once
	applierDone chan struct{}

	// Only the applier goroutine (or Recover before it starts) touches these.
	applied      uint64 // sequence of the last applied record
	snapSeq      uint64 // sequence of the last snapshot taken
	snapAt       time.Time
	snapshotting chan struct{} // holds one token while a snapshot is being written
	dirLock      *os.File      // holds the data directory (lockDir) until the store is closed

	stats counters

	// callTime is the receipt time (Unix ns) of the control-plane record
	// being applied, 0 between them: the Engine's clock for creationDate and
	// lastModifiedDate, so that a replay gives a profile the dates it had.
	callTime atomic.Int64
}

// pending is a record appended (or being appended) and waiting for the
// applier; done receives its result.
type pending struct {
	rec  Record
	ack  Appended
	done chan result
}

// result is what the Engine returned when it applied a record.
type result struct {
	out    any
	report ruledetect.IngestResult
	err    error
}

// counters are the Log's statistics.
type counters struct {
	appended, replayed, rejected, snapshots, snapshotErrors atomic.Uint64
	applied                                                 atomic.Uint64 // mirrors Log.applied for Stats
	snapshotSeq, snapshotUnixNano                           atomic.Uint64 // the newest snapshot written
}

// Stats are a Log's counters.
type Stats struct {
	Appended       uint64 // records appended and applied since Open
	Replayed       uint64 // records replayed by Recover
	Rejected       uint64 // records the Engine refused when applied (an input or call it rejects; kept in the log)
	Snapshots      uint64 // snapshots written
	SnapshotErrors uint64 // snapshots that could not be written (the log keeps its records)
	Applied        uint64 // the stream sequence of the last applied record
	Pending        int    // records appended or being appended, not yet applied (the log's lag)
	// LastSnapshot is when the newest snapshot written by this process was
	// taken (zero before the first), and SnapshotSeq the record it includes.
	LastSnapshot time.Time
	SnapshotSeq  uint64
}

// ErrLog is what the Log's errors match: the log cannot take a record.
var ErrLog = errors.New("durable log")

// Open starts (or connects to) the NATS server, makes sure the stream
// exists and restores the Engine from the newest snapshot in cfg.Dir (a
// new Engine when there is none). Nothing is replayed yet: see Recover.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: no data directory", ErrLog)
	}
	cfg.Stream = cmp.Or(cfg.Stream, DefaultStream)
	cfg.SnapshotEvery = cmp.Or(cfg.SnapshotEvery, DefaultSnapshotEvery)
	cfg.SnapshotInterval = cmp.Or(cfg.SnapshotInterval, DefaultSnapshotInterval)
	cfg.AppendTimeout = cmp.Or(cfg.AppendTimeout, DefaultAppendTimeout)
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLog, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLog, err)
	}
	l, err := openLocked(ctx, cfg, lock)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return l, nil
}

// openLocked is Open once the data directory is this Log's.
func openLocked(ctx context.Context, cfg Config, lock *os.File) (*Log, error) {
	l := &Log{dirLock: lock, cfg: cfg, log: cmp.Or(cfg.Logger, slog.New(slog.NewTextHandler(io.Discard, nil))),
		queue: make(chan *pending, 8192), failed: make(chan struct{}), applierDone: make(chan struct{}),
		snapshotting: make(chan struct{}, 1)}
	var err error
	// The Log's clock comes last: it wins over a WithClock in cfg.Options.
	opts := append(slices.Clip(cfg.Options), ruledetect.WithClock(l.controlClock))
	if l.engine, l.snapSeq, err = restoreNewest(ctx, cfg.Dir, opts); err != nil {
		return nil, fmt.Errorf("%w: restore: %v", ErrLog, err)
	}
	l.applied, l.snapAt = l.snapSeq, time.Now()
	l.stats.applied.Store(l.snapSeq)
	if l.store = cfg.Store; l.store == nil {
		l.store, err = OpenNATS(ctx, NATSConfig{URL: cfg.NATSURL, Dir: cfg.Dir, Stream: cfg.Stream,
			AppendTimeout: cfg.AppendTimeout, SyncAlways: cfg.SyncAlways})
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Engine returns the Engine the log applies to. Read it freely; change it
// only through the Log.
func (l *Log) Engine() *ruledetect.Engine { return l.engine }

// Ready reports whether Recover has caught up: the front ends may serve.
func (l *Log) Ready() bool { return l.ready.Load() && l.failure.Load() == nil }

// Failed is closed when the log failed (an append that was not
// acknowledged): the Engine may now be ahead of or behind the log, so the
// service must stop; a restart recovers from the log.
func (l *Log) Failed() <-chan struct{} { return l.failed }

// Err returns the failure that closed Failed, or nil.
func (l *Log) Err() error {
	if p := l.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// Stats returns the Log's counters.
func (l *Log) Stats() Stats {
	st := Stats{Appended: l.stats.appended.Load(), Replayed: l.stats.replayed.Load(), Rejected: l.stats.rejected.Load(),
		Snapshots: l.stats.snapshots.Load(), SnapshotErrors: l.stats.snapshotErrors.Load(), Applied: l.stats.applied.Load(),
		Pending: len(l.queue), SnapshotSeq: l.stats.snapshotSeq.Load()}
	if ns := l.stats.snapshotUnixNano.Load(); ns != 0 {
		st.LastSnapshot = time.Unix(0, int64(ns))
	}
	return st
}

// Recover replays the records after the restored snapshot through the
// same path as live records, with control-plane calls applied by control
// (the HTTP server's Apply), then starts applying new records and reports
// Ready. It returns an error when the log lost records the snapshot does
// not include, or holds one that cannot be decoded.
func (l *Log) Recover(ctx context.Context, control func(context.Context, server.Call) (any, error)) error {
	l.control = control
	first, last, count, err := l.store.Bounds(ctx)
	if err != nil {
		return fmt.Errorf("%w: stream info: %v", ErrLog, err)
	}
	switch {
	case last < l.snapSeq:
		return fmt.Errorf("%w: the stream ends at record %d but the snapshot includes up to %d: it is not this data directory's log", ErrLog, last, l.snapSeq)
	case last > l.snapSeq && count > 0 && first > l.snapSeq+1:
		return fmt.Errorf("%w: records %d to %d are missing from the stream (the snapshot includes up to %d)", ErrLog, l.snapSeq+1, first-1, l.snapSeq)
	}
	if last > l.snapSeq {
		if err := l.replay(ctx, l.snapSeq+1, last); err != nil {
			return err
		}
	}
	l.snapAt = time.Now()
	l.log.Info("log recovered", "snapshot", l.snapSeq, "replayed", l.stats.replayed.Load(), "applied", l.applied)
	go l.applier()
	l.ready.Store(true)
	return nil
}

// replay applies the stream's records from..to in order.
func (l *Log) replay(ctx context.Context, from, to uint64) error {
	if l.applied >= to {
		return nil
	}
	for st, err := range l.store.Read(ctx, from) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			return fmt.Errorf("%w: replay after record %d: %v", ErrLog, l.applied, err)
		}
		seq := st.Seq
		if seq <= l.applied {
			continue
		}
		if seq != l.applied+1 {
			return fmt.Errorf("%w: records %d to %d are missing from the stream", ErrLog, l.applied+1, seq-1)
		}
		rec, err := Decode(st.Data)
		if err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrLog, seq, err)
		}
		if r := l.apply(ctx, &rec); r.err != nil {
			l.stats.rejected.Add(1)
		}
		l.applied = seq
		l.stats.applied.Store(seq)
		l.stats.replayed.Add(1)
		l.maybeSnapshot(false)
		if l.applied >= to {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: records %d to %d are missing from the stream", ErrLog, l.applied+1, to)
}

// apply makes the one Engine call a record stands for. Live records and
// replayed ones go through it alike, decoded from the same bytes, so a
// replay does what the live service did.
func (l *Log) apply(ctx context.Context, r *Record) result {
	e := l.engine
	// A record in the log is applied whatever becomes of the caller's
	// context, or the engine would diverge from what a replay rebuilds.
	in := context.WithoutCancel(ctx)
	switch r.Kind {
	case KindMessage:
		return result{err: e.IngestMessage(in, ruledetect.Message{Thing: r.Thing, Time: r.time(), Direction: ruledetect.Direction(r.Direction),
			Topic: r.Topic, Bytes: r.Bytes, SourceIP: r.SourceIP})}
	case KindConnect:
		return result{err: e.IngestConnect(in, ruledetect.Connect{Thing: r.Thing, Time: r.time(), SourceIP: r.SourceIP, Failed: r.Failed})}
	case KindDisconnect:
		return result{err: e.IngestDisconnect(in, ruledetect.Disconnect{Thing: r.Thing, Time: r.time()})}
	case KindAuthorizationFailure:
		return result{err: e.IngestAuthorizationFailure(in, ruledetect.AuthorizationFailure{Thing: r.Thing, Time: r.time(), Topic: r.Topic})}
	case KindReport:
		res, err := e.IngestReport(in, r.Thing, r.time(), ruledetect.ReportFormat(r.Format), r.Payload)
		return result{report: res, err: err}
	case KindAdvance:
		return result{err: e.Advance(in, r.time())}
	case KindControl:
		if r.Time != 0 {
			l.callTime.Store(r.Time)
			defer l.callTime.Store(0)
		}
		out, err := l.control(ctx, *r.Call)
		return result{out: out, err: err}
	}
	return result{err: fmt.Errorf("%w: unknown record kind %q", ErrRecord, r.Kind)} // Decode refuses it first
}

// submit appends rec and waits until the applier applied it. A ctx already
// done refuses rec before it is appended.
func (l *Log) submit(ctx context.Context, rec Record) result {
	if err := ctx.Err(); err != nil {
		return result{err: err}
	}
	data, err := rec.Encode()
	if err != nil {
		return result{err: fmt.Errorf("%w: encode: %v", ErrLog, err)}
	}
	// Decoding what goes into the log is what makes the live call the
	// replayed one (a time outside what the record holds, an unknown
	// kind): the record that is applied is the one that was read back.
	if rec, err = Decode(data); err != nil {
		return result{err: err}
	}
	if max := l.store.MaxRecord(); int64(len(data)) > max {
		return result{err: &ruledetect.Error{Op: "durable", Kind: ruledetect.ErrInvalidRequest,
			Message: fmt.Sprintf("record of %d bytes exceeds the log's limit of %d bytes", len(data), max)}}
	}
	p := &pending{rec: rec, done: make(chan result, 1)}
	l.mu.Lock()
	if err := l.usable(); err != nil {
		l.mu.Unlock()
		return result{err: err}
	}
	p.ack, err = l.store.Append(data)
	if err != nil {
		l.mu.Unlock()
		// Nothing was sent: the call is refused and nothing changed.
		return result{err: fmt.Errorf("%w: %w: append: %v", server.ErrUnavailable, ErrLog, err)}
	}
	l.queue <- p
	l.mu.Unlock()
	return <-p.done
}

// usable says why the log takes no record now, with mu held.
func (l *Log) usable() error {
	if err := l.Err(); err != nil {
		return fmt.Errorf("%w: %w", server.ErrUnavailable, err)
	}
	if l.closed {
		return fmt.Errorf("%w: %w: closed", server.ErrUnavailable, ErrLog)
	}
	if !l.ready.Load() {
		return fmt.Errorf("%w: %w: recovering", server.ErrUnavailable, ErrLog)
	}
	return nil
}

// applier applies the queued records in order, each once its append is
// acknowledged, and takes the snapshots. It is the only goroutine that
// changes the Engine.
func (l *Log) applier() {
	defer close(l.applierDone)
	for p := range l.queue {
		if l.Err() != nil {
			p.done <- result{err: fmt.Errorf("%w: %w", server.ErrUnavailable, l.Err())}
			continue
		}
		seq, err := p.ack.Wait()
		if err != nil {
			// Whether the record is in the stream is unknown: the Engine
			// must not go on without knowing, so the log fails.
			l.fail(fmt.Errorf("%w: append not acknowledged: %v", ErrLog, err))
		}
		if seq != 0 && seq != l.applied+1 {
			l.fail(fmt.Errorf("%w: append acknowledged as record %d after record %d: another writer appends to stream %s", ErrLog, seq, l.applied, l.cfg.Stream))
		}
		if err := l.Err(); err != nil {
			p.done <- result{err: fmt.Errorf("%w: %w", server.ErrUnavailable, err)}
			continue
		}
		r := l.apply(context.Background(), &p.rec)
		l.applied = seq
		l.stats.applied.Store(seq)
		l.stats.appended.Add(1)
		if r.err != nil {
			l.stats.rejected.Add(1)
		}
		p.done <- r
		l.maybeSnapshot(false)
	}
	l.maybeSnapshot(true)
}

// fail records the first failure and closes Failed.
func (l *Log) fail(err error) {
	l.failOnce.Do(func() {
		l.failure.Store(&err)
		l.log.Error("durable log failed; restart to recover", "error", err.Error())
		close(l.failed)
	})
}

// maybeSnapshot takes a snapshot when one is due (always when final and
// anything was applied since the last). The state is encoded here, in
// the applier, so it is exactly the state after record l.applied; the
// file is written and the stream purged in the background (final: here).
func (l *Log) maybeSnapshot(final bool) {
	if l.applied == l.snapSeq {
		return
	}
	due := final || l.applied-l.snapSeq >= l.cfg.SnapshotEvery || time.Since(l.snapAt) >= l.cfg.SnapshotInterval
	if !due {
		return
	}
	if final {
		l.snapshotting <- struct{}{} // wait for a background write in progress
	} else {
		select {
		case l.snapshotting <- struct{}{}:
		default:
			return // one is being written; try again after the next record
		}
	}
	var buf bytes.Buffer
	if err := l.engine.WriteSnapshot(context.Background(), &buf); err != nil {
		<-l.snapshotting
		l.stats.snapshotErrors.Add(1)
		l.log.Error("snapshot", "error", err.Error())
		return
	}
	seq, takenAt := l.applied, time.Now()
	l.snapSeq, l.snapAt = seq, takenAt
	write := func() {
		defer func() { <-l.snapshotting }()
		if err := writeSnapshotFile(l.cfg.Dir, seq, buf.Bytes()); err != nil {
			l.stats.snapshotErrors.Add(1)
			l.log.Error("snapshot", "seq", seq, "error", err.Error())
			return
		}
		l.stats.snapshots.Add(1)
		l.stats.snapshotSeq.Store(seq)
		l.stats.snapshotUnixNano.Store(uint64(takenAt.UnixNano()))
		// The records the snapshot includes are no longer needed. A store
		// that cannot drop them now drops them at the next snapshot.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.store.Trim(ctx, seq); err != nil {
			l.log.Warn("purge log", "seq", seq, "error", err.Error())
		}
		l.log.Debug("snapshot", "seq", seq, "bytes", buf.Len())
	}
	if final {
		write()
		l.snapshotting <- struct{}{} // hold it: no write after the final one
	} else {
		go write()
	}
}

// Commit appends a state-changing control-plane call, stamped with the
// time it was received, and returns what the server's Apply returned when
// it was applied: the server.Config.Commit of the HTTP API.
func (l *Log) Commit(_ context.Context, c server.Call) (any, error) {
	r := l.submit(context.Background(), controlRecord(c, time.Now()))
	return r.out, r.err
}

// controlClock is the Engine's clock (ruledetect.WithClock): the receipt
// time of the control-plane record being applied.
func (l *Log) controlClock() time.Time {
	if ns := l.callTime.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// IngestMessage appends and applies Engine.IngestMessage(m). As with the
// Engine, a call whose ctx is already done is refused with ctx.Err() and
// appends nothing; once appended, a record is applied, and the call waits
// for that.
func (l *Log) IngestMessage(ctx context.Context, m ruledetect.Message) error {
	return l.submit(ctx, messageRecord(m)).err
}

// IngestConnect appends and applies Engine.IngestConnect(c); ctx is as for
// IngestMessage.
func (l *Log) IngestConnect(ctx context.Context, c ruledetect.Connect) error {
	return l.submit(ctx, connectRecord(c)).err
}

// IngestDisconnect appends and applies Engine.IngestDisconnect(d); ctx is as
// for IngestMessage.
func (l *Log) IngestDisconnect(ctx context.Context, d ruledetect.Disconnect) error {
	return l.submit(ctx, disconnectRecord(d)).err
}

// IngestAuthorizationFailure appends and applies
// Engine.IngestAuthorizationFailure(f); ctx is as for IngestMessage.
func (l *Log) IngestAuthorizationFailure(ctx context.Context, f ruledetect.AuthorizationFailure) error {
	return l.submit(ctx, authorizationFailureRecord(f)).err
}

// IngestReport appends and applies Engine.IngestReport; ctx is as for
// IngestMessage.
func (l *Log) IngestReport(ctx context.Context, thing string, at time.Time, format ruledetect.ReportFormat, data []byte) (ruledetect.IngestResult, error) {
	r := l.submit(ctx, reportRecord(thing, at, format, data))
	return r.report, r.err
}

// Advance appends and applies Engine.Advance(t): the clock is in the log,
// so a replay closes periods at the same points as the live service. ctx is
// as for IngestMessage.
func (l *Log) Advance(ctx context.Context, t time.Time) error {
	return l.submit(ctx, advanceRecord(t)).err
}

// Close stops taking records, waits until the queued ones are applied,
// writes a final snapshot (of the records applied, also after a failure)
// and stops NATS.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	wasClosed := l.closed
	l.closed = true
	if !wasClosed {
		close(l.queue)
	}
	l.mu.Unlock()
	if wasClosed {
		return nil
	}
	var err error
	if l.ready.Load() {
		select {
		case <-l.applierDone:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	l.closeStore()
	return err
}

// abandon stops the log as a crash would, for tests: no drain, no final
// snapshot. A snapshot being written in the background is let finish, and
// no other starts: at a crash a write has either finished or left a
// temporary file that Open removes, whereas a write still going on in a
// test's abandoned log removed the snapshot the next Open of the same
// directory was about to read (TestRecoverEqualsUninterrupted failed one
// run in thirty with "no such file").
func (l *Log) abandon() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.snapshotting <- struct{}{} // held for good
	l.closeStore()
}

// closeStore closes the store, once the applier is done with it, and
// gives up the data directory.
func (l *Log) closeStore() {
	if err := l.store.Close(); err != nil {
		l.log.Warn("close log store", "error", err.Error())
	}
	l.dirLock.Close()
}
