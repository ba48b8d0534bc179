package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
)

// MaxLineBytes is the longest record line, without its line break. A longer
// line is skipped with a *RecordError rather than buffered without bound.
const MaxLineBytes = 1 << 20

// Reader reads records from JSON Lines input. The zero Reader has no input:
// Next returns io.EOF. A Reader is not safe for concurrent use.
type Reader struct {
	in   *bufio.Reader
	line int
	err  error  // sticky: io.EOF or a read error
	buf  []byte // the line being parsed
	p    Parser
	tmp  Record // the line being parsed, copied out only when valid
}

// NewReader returns a Reader reading JSON Lines from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{in: bufio.NewReaderSize(r, 64<<10)}
}

// Reset makes the Reader read afresh from r, from line 1, keeping its
// buffers and caches.
func (r *Reader) Reset(in io.Reader) {
	if r.in == nil {
		*r = *NewReader(in)
		return
	}
	r.in.Reset(in)
	r.line, r.err = 0, nil
}

// Buffered returns the number of bytes of input read but not yet returned
// as lines. When it is 0, the next call may wait for the input (a live
// feed): a caller batching lines hands on what it has first.
func (r *Reader) Buffered() int {
	if r.in == nil {
		return 0
	}
	return r.in.Buffered()
}

// Line returns the number of the line last read, blank lines included: the
// line of the record (or error) Next last returned.
func (r *Reader) Line() int { return r.line }

// Next reads the next record into rec, skipping blank lines. It returns
// io.EOF after the last record, a *RecordError (matching ErrBadRecord) for a
// line that is not a valid record, or the underlying read error. After a
// *RecordError, rec is unchanged and the next call reads the following line;
// io.EOF and read errors are returned again by every later call.
//
// rec.Report is copied into a buffer rec owns, which the next call reuses,
// and thing names and topics are shared between records, so reading into
// one Record allocates almost nothing in steady state.
func (r *Reader) Next(rec *Record) error {
	var err error
	if r.buf, err = r.AppendLine(r.buf[:0]); err != nil {
		return err
	}
	if err := r.p.Parse(r.buf, &r.tmp); err != nil {
		if re, ok := err.(*RecordError); ok {
			re.Line = r.line
		}
		return err
	}
	r.tmp.copyTo(rec)
	return nil
}

// AppendLine appends the next line that is not blank to dst, without its
// line break, for a caller that parses lines elsewhere (with a [Parser]);
// Line then returns its number. The errors are those of Next, but the only
// *RecordError is for a line longer than MaxLineBytes, which is skipped.
func (r *Reader) AppendLine(dst []byte) ([]byte, error) {
	if r.in == nil {
		return dst, io.EOF
	}
	for r.err == nil {
		n := len(dst)
		line, tooLong, err := r.readLine(dst)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("replay: reading line %d: %w", r.line+1, err)
			}
			r.err = err
			break
		}
		r.line++
		if tooLong {
			return dst, &RecordError{Line: r.line, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		if isBlank(line[n:]) {
			dst = line[:n]
			continue
		}
		return line, nil
	}
	return dst, r.err
}

// readLine appends the next line to dst without its line break. A line
// longer than MaxLineBytes is consumed but not kept (tooLong). It returns
// io.EOF only when no line is left.
func (r *Reader) readLine(dst []byte) (line []byte, tooLong bool, err error) {
	start, n := len(dst), 0
	for {
		chunk, err := r.in.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			if n > MaxLineBytes+1 {
				tooLong = true
				dst = dst[:start]
			} else {
				dst = append(dst, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong || n-1 > MaxLineBytes {
				return dst[:start], true, nil
			}
			return dst[:len(dst)-1], false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && n > 0:
			if tooLong || n > MaxLineBytes { // a last line without a line break
				return dst[:start], true, nil
			}
			return dst, false, nil
		default:
			return dst[:start], false, err
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// copyTo copies a parsed record to dst, its report into dst's own buffer.
func (r *Record) copyTo(dst *Record) {
	own := append(dst.own[:0], r.Report...)
	*dst = *r
	dst.own = own
	dst.Report = own[:len(r.Report):len(r.Report)]
	if r.Report == nil {
		dst.Report = nil
	}
}

// All returns an iterator over the rest of the input, read with Next: each
// record with a nil error, or for a line that is not a valid record a nil
// record and its *RecordError, after which it reads on. A read error is
// yielded and ends the iteration; so does the end of the input. The record
// is one the iterator reuses, valid until the next iteration: keep a
// [Record.Clone]. Line reports the line of what was yielded last.
func (r *Reader) All() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		var rec Record
		for {
			err := r.Next(&rec)
			switch {
			case err == io.EOF:
				return
			case err == nil:
				if !yield(&rec, nil) {
					return
				}
			default:
				if !yield(nil, err) {
					return
				}
				if _, ok := err.(*RecordError); !ok { // never wrapped
					return
				}
			}
		}
	}
}
