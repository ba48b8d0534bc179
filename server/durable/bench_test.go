package durable

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server"
)

// BenchmarkIngestMessage: messages appended and applied through the log by
// 64 concurrent senders (the broker's clients), embedded NATS, file storage.
func BenchmarkIngestMessage(b *testing.B) {
	ctx := context.Background()
	l, err := Open(context.Background(), Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	srv, err := server.New(server.Config{Engine: l.Engine(), Credentials: map[string]string{"A": "s"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Recover(context.Background(), srv.Apply); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			err := l.IngestMessage(ctx, ruledetect.Message{Thing: fmt.Sprintf("t-%d", i%100), Time: t0.Add(time.Duration(i) * time.Millisecond),
				Direction: ruledetect.Sent, Topic: "a/b", Bytes: 10})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
