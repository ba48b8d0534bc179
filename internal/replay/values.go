package replay

import (
	"bytes"
	"encoding/base64"
	"slices"
	"time"
)

// The time range of a record: what RFC 3339 can write (years 0000 to 9999),
// so that every record AppendRecord writes reads back.
const (
	minUnix = -62167219200 // 0000-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// parseUnixSeconds converts a JSON number literal (already validated by the
// JSON decoder) to a time, exactly to the nanosecond: decimal digits are
// placed by hand instead of going through float64, which cannot hold today's
// Unix time with nanoseconds. Digits beyond nanoseconds are truncated.
func parseUnixSeconds(lit []byte) (time.Time, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	exp := 0
	if i := bytes.IndexAny(lit, "eE"); i >= 0 {
		var ok bool
		if exp, ok = parseExponent(lit[i+1:]); !ok {
			return time.Time{}, false
		}
		lit = lit[:i]
	}
	d := digits{whole: lit}
	if i := bytes.IndexByte(lit, '.'); i >= 0 {
		d.whole, d.frac = lit[:i], lit[i+1:]
	}
	point := len(d.whole) + exp // digits before the decimal point
	// Leading zeros carry no value; dropping them bounds the integer loop.
	for d.skip < d.len() && d.at(0) == 0 {
		d.skip++
		point--
	}
	if d.skip == d.len() {
		return time.Unix(0, 0).UTC(), true
	}
	if point > 12 { // maxUnix has 12 digits
		return time.Time{}, false
	}
	var sec, nsec int64
	for k := 0; k < point; k++ {
		sec = sec*10 + d.at(k)
	}
	for k := point; k < point+9; k++ {
		nsec = nsec*10 + d.at(k)
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	if sec > maxUnix || sec < minUnix || (sec == minUnix && nsec < 0) {
		return time.Time{}, false
	}
	return time.Unix(sec, nsec).UTC(), true
}

// digits reads the decimal digits of a mantissa as one sequence, the dot
// removed and the first skip digits dropped; positions outside read as 0.
type digits struct {
	whole, frac []byte
	skip        int
}

func (d *digits) len() int { return len(d.whole) + len(d.frac) }

func (d *digits) at(k int) int64 {
	if k < 0 {
		return 0
	}
	k += d.skip
	switch {
	case k < len(d.whole):
		return int64(d.whole[k] - '0')
	case k-len(d.whole) < len(d.frac):
		return int64(d.frac[k-len(d.whole)] - '0')
	}
	return 0
}

// parseExponent parses an exponent's optional sign and digits, clamped to
// ±10^6: any larger exponent is out of range anyway, or makes the value 0.
func parseExponent(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	e := 0
	for _, c := range b {
		if e < 1_000_000 {
			e = e*10 + int(c-'0')
		}
	}
	if neg {
		return -e, true
	}
	return e, len(b) > 0
}

// parseCount parses a JSON number literal that must be a non-negative int64.
func parseCount(lit []byte) (int64, bool) {
	if len(lit) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// jsonReportProblem returns why b is not a report the Reader would take as
// one JSON object, or "". Like the Reader it only checks that b is delimited
// as one object: the report decoder checks the rest when it decodes it.
func jsonReportProblem(b []byte) string {
	if len(b) == 0 || b[0] != '{' {
		return "must be a JSON object"
	}
	if end, ok := compositeEnd(b, 0); !ok || end != len(b) {
		return "not valid JSON: its brackets do not close at its end"
	}
	return ""
}

// cborReportProblem returns why b is not a CBOR report the Reader would
// take, or "": a map. Well-formedness is the report decoder's check, made
// as it decodes.
func cborReportProblem(b []byte) string {
	if len(b) == 0 {
		return "must not be empty"
	}
	if b[0]>>5 != 5 { // major type 5: map
		return "the CBOR report must be a map"
	}
	return ""
}

// decodeBase64 appends the standard, padded base64 decoding of s to dst.
// Unlike base64.StdEncoding it rejects line breaks and non-zero padding bits,
// so that one byte sequence has one spelling.
func decodeBase64(dst, s []byte) ([]byte, bool) {
	if bytes.ContainsAny(s, "\r\n") {
		return dst, false
	}
	enc := base64.StdEncoding.Strict()
	n := len(dst)
	dst = growLen(dst, enc.DecodedLen(len(s)))
	m, err := enc.Decode(dst[n:], s)
	if err != nil {
		return dst[:n], false
	}
	return dst[:n+m], true
}

// growLen extends b by n bytes, reusing its capacity.
func growLen(b []byte, n int) []byte {
	b = slices.Grow(b, n)
	return b[:len(b)+n]
}
