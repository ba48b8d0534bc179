package durable

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// embeddedMaxPayload is the embedded server's largest message: a record
// holds one report (at most the Engine's maximum report size, 128 KiB by
// default, configurable) or one control-plane call.
const embeddedMaxPayload = 8 << 20

// NATSConfig says where OpenNATS keeps a log.
type NATSConfig struct {
	// URL is an external NATS server or cluster (with JetStream); empty
	// starts an embedded server, with no listener, storing in Dir.
	URL string
	// Dir is the embedded server's JetStream directory.
	Dir string
	// Stream is the JetStream stream's name; its subject is the name in
	// lower case followed by ".log".
	Stream string
	// AppendTimeout bounds the wait for an append's acknowledgement.
	AppendTimeout time.Duration
	// SyncAlways makes the embedded server fsync every append.
	SyncAlways bool
}

// natsStore is a Store on a JetStream stream.
type natsStore struct {
	cfg     NATSConfig
	ns      *natsserver.Server // nil with URL
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	subject string
}

// OpenNATS starts the embedded NATS server (or dials cfg.URL) and creates
// the stream when it does not exist yet: the Store a Log uses unless
// Config.Store names another.
func OpenNATS(ctx context.Context, cfg NATSConfig) (Store, error) {
	s := &natsStore{cfg: cfg, subject: strings.ToLower(cfg.Stream) + ".log"}
	if err := s.connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *natsStore) connect(ctx context.Context) error {
	var opts []nats.Option
	if s.cfg.URL == "" {
		ns, err := natsserver.NewServer(&natsserver.Options{
			ServerName: "ruledetect", DontListen: true, NoSigs: true, NoLog: true,
			JetStream: true, StoreDir: filepath.Join(s.cfg.Dir, "nats"), SyncAlways: s.cfg.SyncAlways,
			MaxPayload: embeddedMaxPayload,
		})
		if err != nil {
			return fmt.Errorf("%w: embedded NATS server: %v", ErrLog, err)
		}
		s.ns = ns
		ns.Start()
		if !ns.ReadyForConnections(30 * time.Second) {
			return fmt.Errorf("%w: embedded NATS server did not start", ErrLog)
		}
		opts = append(opts, nats.InProcessServer(ns))
	}
	opts = append(opts, nats.Name("ruledetect"), nats.MaxReconnects(-1))
	nc, err := nats.Connect(s.cfg.URL, opts...)
	if err != nil {
		return fmt.Errorf("%w: connect to NATS: %v", ErrLog, err)
	}
	s.nc = nc
	if s.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(s.cfg.AppendTimeout)); err != nil {
		return fmt.Errorf("%w: JetStream: %v", ErrLog, err)
	}
	cfg := jetstream.StreamConfig{
		Name: s.cfg.Stream, Subjects: []string{s.subject},
		Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy,
		// Nothing is ever discarded by a limit: old records go only when a
		// snapshot includes them (Trim).
		Discard: jetstream.DiscardNew,
	}
	s.stream, err = s.js.Stream(ctx, s.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.stream, err = s.js.CreateStream(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("%w: stream %s: %v", ErrLog, s.cfg.Stream, err)
	}
	return nil
}

func (s *natsStore) Append(data []byte) (Appended, error) {
	ack, err := s.js.PublishAsync(s.subject, data, jetstream.WithExpectStream(s.cfg.Stream))
	if err != nil {
		return nil, err
	}
	return natsAck{ack}, nil
}

// natsAck is a JetStream publish waiting for its acknowledgement.
type natsAck struct{ f jetstream.PubAckFuture }

func (a natsAck) Wait() (uint64, error) {
	select {
	case ack := <-a.f.Ok():
		return ack.Sequence, nil
	case err := <-a.f.Err():
		return 0, err
	}
}

func (s *natsStore) MaxRecord() int64 { return s.nc.MaxPayload() }

func (s *natsStore) Bounds(ctx context.Context) (first, last, count uint64, err error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return info.State.FirstSeq, info.State.LastSeq, info.State.Msgs, nil
}

func (s *natsStore) Read(ctx context.Context, from uint64) iter.Seq2[Stored, error] {
	return func(yield func(Stored, error) bool) {
		cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from})
		if err != nil {
			yield(Stored{}, err)
			return
		}
		it, err := cons.Messages()
		if err != nil {
			yield(Stored{}, err)
			return
		}
		defer it.Stop()
		for ctx.Err() == nil {
			msg, err := it.Next()
			if err != nil {
				yield(Stored{}, err)
				return
			}
			md, err := msg.Metadata()
			if err != nil {
				yield(Stored{}, err)
				return
			}
			if !yield(Stored{Seq: md.Sequence.Stream, Data: msg.Data()}, nil) {
				return
			}
		}
		yield(Stored{}, ctx.Err())
	}
}

// Trim purges the stream up to seq; without a connection it does nothing
// (the next snapshot's Trim purges them too).
func (s *natsStore) Trim(ctx context.Context, seq uint64) error {
	if !s.nc.IsConnected() {
		return nil
	}
	return s.stream.Purge(ctx, jetstream.WithPurgeSequence(seq+1))
}

// Close closes the connection and stops the embedded server.
func (s *natsStore) Close() error {
	if s.nc != nil {
		s.nc.Drain()
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	return nil
}
