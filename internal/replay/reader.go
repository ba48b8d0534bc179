package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxLineBytes is the longest record line, without its line break. A longer
// line is skipped with a *RecordError rather than buffered without bound.
const MaxLineBytes = 1 << 20

// internLimit bounds the thing-name/topic and address caches; a replay with
// more distinct values than this just allocates for the excess.
const internLimit = 1 << 16

// Reader reads records from JSON Lines input. The zero Reader has no input:
// Next returns io.EOF. A Reader is not safe for concurrent use.
type Reader struct {
	in     *bufio.Reader
	line   int
	err    error // sticky: io.EOF or a read error
	buf    bytes.Buffer
	dec    jsontext.Decoder
	opts   []jsontext.Options
	tmp    Record            // the line being parsed, copied out only when valid
	quoted []byte            // scratch for unquoting strings
	names  map[string]string // valid thing names
	topics map[string]string // valid topics
	addrs  map[string]netip.Addr
}

// NewReader returns a Reader reading JSON Lines from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{
		in: bufio.NewReaderSize(r, 64<<10),
		// Duplicate keys are checked by hand at the top level; inside a
		// report they are the report decoder's business.
		opts:   []jsontext.Options{jsontext.AllowDuplicateNames(true)},
		names:  make(map[string]string),
		topics: make(map[string]string),
		addrs:  make(map[string]netip.Addr),
	}
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

// Line returns the number of the line last read, blank lines included: the
// line of the record (or error) Next last returned.
func (r *Reader) Line() int { return r.line }

// Next reads the next record into rec, skipping blank lines. It returns
// io.EOF after the last record, a *RecordError (matching ErrBadRecord) for a
// line that is not a valid record, or the underlying read error. After a
// *RecordError, rec is unchanged and the next call reads the following line;
// io.EOF and read errors are returned again by every later call.
//
// rec.Report is overwritten in place (its capacity is reused), and thing
// names and topics are shared between records, so reading into one Record
// allocates almost nothing in steady state.
func (r *Reader) Next(rec *Record) error {
	if r.in == nil {
		return io.EOF
	}
	for r.err == nil {
		tooLong, err := r.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("replay: reading line %d: %w", r.line+1, err)
			}
			r.err = err
			break
		}
		r.line++
		if tooLong {
			return &RecordError{Line: r.line, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		if isBlank(r.buf.Bytes()) {
			continue
		}
		if err := r.parse(); err != nil {
			if re, ok := err.(*RecordError); ok {
				re.Line = r.line
			}
			return err
		}
		r.tmp.copyTo(rec)
		return nil
	}
	return r.err
}

// readLine reads the next line into r.buf without its line break. A line
// longer than MaxLineBytes is consumed but not kept (tooLong). It returns
// io.EOF only when no line is left.
func (r *Reader) readLine() (tooLong bool, err error) {
	r.buf.Reset()
	n := 0
	for {
		chunk, err := r.in.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			if n > MaxLineBytes+1 {
				tooLong = true
				r.buf.Reset()
			} else {
				r.buf.Write(chunk)
			}
		}
		switch {
		case err == nil:
			if tooLong || n-1 > MaxLineBytes {
				return true, nil
			}
			r.buf.Truncate(r.buf.Len() - 1)
			return false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && n > 0:
			return tooLong || n > MaxLineBytes, nil // a last line without a line break
		default:
			return false, err
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

func (rec *Record) reset() {
	*rec = Record{Report: rec.Report[:0]}
}

// copyTo copies a parsed record to dst, reusing dst's Report buffer.
func (r *Record) copyTo(dst *Record) {
	report := append(dst.Report[:0], r.Report...)
	*dst = *r
	dst.Report = report
}
