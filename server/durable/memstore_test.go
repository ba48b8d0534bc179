package durable

import (
	"context"
	"iter"
	"slices"
	"sync"
)

// memStore is a Store in memory: the smallest store there is, and what a
// new one (a database table, a cloud log) must do. It survives a Log's
// Close, as a persistent store survives a restart.
type memStore struct {
	mu   sync.Mutex
	last uint64   // the sequence of the last record given
	recs [][]byte // the records last−len(recs)+1 … last
}

func (m *memStore) Append(data []byte) (Appended, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last++
	m.recs = append(m.recs, slices.Clone(data))
	return memAck(m.last), nil
}

type memAck uint64

func (a memAck) Wait() (uint64, error) { return uint64(a), nil }

func (m *memStore) MaxRecord() int64 { return 8 << 20 }

func (m *memStore) Bounds(context.Context) (first, last, count uint64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := uint64(len(m.recs))
	return m.last - n + 1, m.last, n, nil
}

func (m *memStore) Read(ctx context.Context, from uint64) iter.Seq2[Stored, error] {
	return func(yield func(Stored, error) bool) {
		m.mu.Lock()
		first := m.last - uint64(len(m.recs)) + 1
		recs := slices.Clone(m.recs)
		m.mu.Unlock()
		for i, r := range recs {
			seq := first + uint64(i)
			if seq < from {
				continue
			}
			if err := ctx.Err(); err != nil {
				yield(Stored{}, err)
				return
			}
			if !yield(Stored{Seq: seq, Data: r}, nil) {
				return
			}
		}
	}
}

func (m *memStore) Trim(_ context.Context, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := m.last - uint64(len(m.recs)) + 1
	if seq >= first {
		m.recs = m.recs[min(uint64(len(m.recs)), seq-first+1):]
	}
	return nil
}

func (m *memStore) Close() error { return nil }
