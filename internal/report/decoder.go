package report

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"net/netip"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/ruledetect/ruledetect/internal/intern"
)

// Decoder decodes device metrics reports into Reports. It keeps the
// tokenizer, scratch buffers and small caches of strings and parsed addresses
// between calls, so decoding a stream of reports allocates nothing once warm.
//
// The zero value is ready to use. A Decoder is not safe for concurrent use:
// give each goroutine its own.
type Decoder struct {
	jd   *jsontext.Decoder
	jbuf bytes.Buffer // the JSON input; jsontext reads a bytes.Buffer in place
	js   jsonSource
	scan jsonScanner
	cs   cborSource

	r    *Report // the report being filled, during a decode
	path pathStack
	seen []string // custom metric names of the current report, for duplicates
	// unknown holds the unknown key being skipped, which is on the path.
	unknown []byte

	// strs interns metric names and string-list values; remote and ips cache
	// parsed remote_addr and ip_list texts. Reports of one fleet repeat the
	// same values, so these make steady-state decoding allocation-free; each
	// holds at most 2 × maxCached values (intern.Cache; see addrCache for
	// the addresses), which bounds memory on hostile input.
	strs   intern.Cache[string]
	remote addrCache
	ips    addrCache
	// recent is a memo in front of strs (see recentSlot).
	recent [recentSlots]string
}

// Cache bounds: values per generation of each cache, and the longest text
// cached.
const (
	maxCached    = 4096
	maxCachedLen = 128 // custom metric names are at most 128 characters
)

// jsonOptions are the tokenizer options. Duplicate names are checked by the
// walker (it also catches a long and a short key for the same field), so the
// tokenizer's own check would only cost time.
func jsonOptions() jsontext.Options { return jsontext.AllowDuplicateNames(true) }

// DecodeJSON decodes a JSON report (long keys, short keys or any mix) into r.
// On error r is Reset and the error matches ErrMalformed.
func (d *Decoder) DecodeJSON(b []byte, r *Report) error {
	// The fast path reads b in place with jsonScanner. It only ever accepts
	// what the jsontext path accepts, with the same result; whatever it does
	// not accept, a malformed report among it, is decoded again by the
	// jsontext path, so errors keep their text and path.
	if d.scanJSON(b, r) {
		return nil
	}
	return d.decodeJSONTokens(b, r)
}

// scanJSON is DecodeJSON's fast path: it reports whether it decoded b into
// r. When it did not, r holds anything.
func (d *Decoder) scanJSON(b []byte, r *Report) bool {
	d.scan = jsonScanner{b: b}
	d.begin(r)
	ok := d.walkTop(&d.scan) == nil && d.scan.end()
	d.scan = jsonScanner{} // keep no reference to the caller's bytes
	d.r = nil
	return ok
}

// decodeJSONTokens decodes a JSON report with the jsontext tokenizer: the
// path of every report the fast path gives up on, and the reference that
// the fast path is tested against.
func (d *Decoder) decodeJSONTokens(b []byte, r *Report) error {
	d.jbuf.Reset()
	d.jbuf.Write(b)
	if d.jd == nil {
		d.jd = jsontext.NewDecoder(&d.jbuf, jsonOptions())
	} else {
		d.jd.Reset(&d.jbuf, jsonOptions())
	}
	d.js.d = d.jd
	err := d.walk(&d.js, r)
	if err == nil {
		// One report per message: anything after it (even another JSON value,
		// which a streaming tokenizer would happily read) is malformed.
		if _, err2 := d.jd.ReadToken(); err2 != io.EOF {
			err = &Error{Msg: "unexpected data after the report"}
		}
	}
	d.js.d = nil
	return d.finish(r, err)
}

// DecodeJSONFrom decodes the next JSON value read from jd as a report into r,
// for callers that embed a report in a larger JSON document (the replay
// record). jd must have been created with AllowDuplicateNames(true) or the
// tokenizer will reject documents the walker accepts. On error r is Reset.
func (d *Decoder) DecodeJSONFrom(jd *jsontext.Decoder, r *Report) error {
	d.js.d = jd
	err := d.walk(&d.js, r)
	d.js.d = nil
	return d.finish(r, err)
}

// JSONOptions returns the jsontext options DecodeJSONFrom expects of the
// caller's decoder.
func JSONOptions() jsontext.Options { return jsonOptions() }

// DecodeCBOR decodes a CBOR report into r. Keys, structure and value rules
// are those of DecodeJSON: the same report gives the same Report in either
// format. On error r is Reset and the error matches ErrMalformed.
func (d *Decoder) DecodeCBOR(b []byte, r *Report) error {
	d.cs.reset(b)
	err := d.walk(&d.cs, r)
	if err == nil && !d.cs.atEnd() {
		err = &Error{Msg: "unexpected data after the report"}
	}
	d.cs.reset(nil)
	return d.finish(r, err)
}

// finish resets r on error, so a rejected report leaves nothing behind.
func (d *Decoder) finish(r *Report, err error) error {
	d.r = nil
	if err != nil {
		r.Reset()
	}
	return err
}

// DecodeJSON decodes a JSON report into r with a throwaway Decoder. Use a
// Decoder for more than a few reports: this allocates one every call.
func (r *Report) DecodeJSON(b []byte) error {
	var d Decoder
	return d.DecodeJSON(b, r)
}

// DecodeCBOR decodes a CBOR report into r with a throwaway Decoder. Use a
// Decoder for more than a few reports: this allocates one every call.
func (r *Report) DecodeCBOR(b []byte) error {
	var d Decoder
	return d.DecodeCBOR(b, r)
}

// intern returns b as a string, reusing an earlier identical one.
func (d *Decoder) intern(b []byte) string {
	if len(b) > maxCachedLen {
		return string(b)
	}
	slot := &d.recent[recentSlot(b)]
	if *slot == string(b) {
		return *slot
	}
	s, ok := d.strs.Get(b)
	if !ok {
		s = string(b)
		d.strs.Limit = maxCached
		d.strs.Put(s, s)
	}
	*slot = s
	return s
}

// recentSlots is the size of the memos in front of the string and address
// caches.
const recentSlots = 64

// recentSlot returns the memo slot of the text b, from its length and its
// first and last eight bytes.
//
// Why memos: a fleet's reports repeat a few texts (the version, the metric
// names, the endpoints devices talk to), and comparing b with the one text
// in its slot is several times cheaper than hashing b for a map lookup. A
// slot that holds another text only costs the map lookup behind it.
func recentSlot(b []byte) int {
	h := uint64(len(b))
	if len(b) >= 8 {
		h ^= binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[len(b)-8:]), 29)
	} else {
		for _, c := range b {
			h = h<<8 | uint64(c)
		}
	}
	return int((h * 0x9e3779b97f4a7c15) >> (64 - 6)) // 6 bits: recentSlots
}

// addrCache caches parsed remote_addr or ip_list texts: an intern.Cache,
// and a memo in front of it (see recentSlot). Only texts that parse are
// cached.
//
// A full cache keeps what it holds and takes no more (it never rotates
// its generations), and b is then parsed without allocating: a fleet has
// more distinct remote addresses than the cache holds (every thing its
// own), and clearing or rotating made every report of such a fleet
// allocate a key per address. The addresses cached first, the fleet's
// common ones, stay.
type addrCache struct {
	m      intern.Cache[cachedText]
	recent [recentSlots]cachedText
}

// cachedText is a text and the address it parses to; the cache keeps the
// text in its value too, so that the memo can share the cache's copy.
type cachedText struct {
	text string
	addr netip.Addr
}

// get parses b with parse through the cache.
func (c *addrCache) get(b []byte, parse func(string) (netip.Addr, bool)) (netip.Addr, bool) {
	if len(b) > maxCachedLen {
		return parseInPlace(b, parse)
	}
	slot := &c.recent[recentSlot(b)]
	if slot.text == string(b) && slot.addr.IsValid() {
		return slot.addr, true
	}
	if e, ok := c.m.Get(b); ok {
		*slot = e
		return e.addr, true
	}
	a, ok := parseInPlace(b, parse)
	if ok && c.m.Len() < maxCached {
		s := string(b)
		c.m.Put(s, cachedText{s, a})
		*slot = cachedText{s, a}
	}
	return a, ok
}

// parseInPlace parses b without copying it.
func parseInPlace(b []byte, parse func(string) (netip.Addr, bool)) (netip.Addr, bool) {
	// Why unsafe: parse (netip) keeps no reference to its input; a zone it
	// might keep is stripped or rejected, and netip clones zones.
	return parse(unsafe.String(unsafe.SliceData(b), len(b)))
}
