package durable

import (
	"context"
	"iter"
)

// Store holds a Log's records, in order, each with the sequence number the
// store gives it when it is appended (1, 2, …, never reused). The Log is
// its only writer. JetStream is the store this package ships (OpenNATS,
// the default); another one, a database table or a cloud log, implements
// these methods and is passed as Config.Store.
type Store interface {
	// Append starts appending data. The record is in the log once its
	// Appended's Wait returns its sequence; until then, whether it is
	// there is unknown. Appends are acknowledged in the order they were
	// started.
	Append(data []byte) (Appended, error)
	// MaxRecord is the size of the largest record the store takes.
	MaxRecord() int64
	// Bounds returns the sequences of the first and last records it
	// holds, and how many it holds (records before first were trimmed; an
	// empty store that held records reports last as the last one given).
	Bounds(ctx context.Context) (first, last, count uint64, err error)
	// Read yields the records from sequence from on, in order, until the
	// caller stops, ctx ends, or (a store may stop there) the last record.
	Read(ctx context.Context, from uint64) iter.Seq2[Stored, error]
	// Trim drops the records up to seq, which a snapshot includes. It may
	// do nothing for now (the next Trim drops them too).
	Trim(ctx context.Context, seq uint64) error
	// Close releases the store; records appended and acknowledged stay.
	Close() error
}

// Appended is one append in flight (Store.Append).
type Appended interface {
	// Wait returns the record's sequence once the store acknowledged it,
	// or why it could not.
	Wait() (uint64, error)
}

// Stored is one record read back from a Store.
type Stored struct {
	Seq  uint64
	Data []byte
}
