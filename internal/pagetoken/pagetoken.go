// Package pagetoken encodes and decodes the nextToken of ruledetect's list
// operations.
//
// A token is a keyset cursor, not an offset: it names the sort key of the last
// item a page returned, and the next page starts strictly after it. Items
// inserted while a client pages therefore never shift the pages it has not yet
// read, so every item present for the whole listing is returned exactly once
// (an item inserted behind the cursor is simply not seen by that listing).
//
// Tokens are opaque to clients but not secret: they are versioned, bound to a
// Scope (the listing kind and its filters, so a token cannot be replayed
// against another query) and checksummed (so garbage and truncation are
// rejected instead of being misread). They carry no key, so they stay valid
// across a snapshot and restore of the data they page over.
package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/internal/wire"
)

// ErrInvalidToken is matched (errors.Is) by every error Decode returns.
var ErrInvalidToken = errors.New("invalid nextToken")

// version is the first byte of every token. Bump it when the layout changes:
// old tokens then fail with ErrInvalidToken instead of being misread.
const version = 1

// MaxKeyLen bounds Cursor.Key. Service names are at most 128 characters (up
// to 512 bytes of UTF-8); the bound keeps tokens short and decoding cheap.
const MaxKeyLen = 1024

const (
	scopeLen    = 8
	checksumLen = 8
	fixedLen    = 1 + scopeLen + 8 + 4 + 8 // version, scope, seconds, nanoseconds, seq
	// maxEncodedLen bounds the token text Decode looks at, so a huge input is
	// rejected before it is decoded.
	maxEncodedLen = (fixedLen + binary.MaxVarintLen64 + MaxKeyLen + checksumLen + 2) * 4 / 3
)

// Scope identifies one listing: its kind and the exact filters it was called
// with. A token decodes only under the Scope it was encoded with.
type Scope [scopeLen]byte

// NewScope derives the Scope of a listing from its kind (e.g.
// "ListViolationEvents") and its filter values, in a fixed order chosen by the
// caller. Each part is length-prefixed, so ("ab","c") and ("a","bc") differ.
func NewScope(kind string, filters ...string) Scope {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{kind}, filters...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	var s Scope
	copy(s[:], h.Sum(nil))
	return s
}

// Cursor is the sort key of the last item of a page. Listings ordered by time
// use Time and Seq (an insertion sequence that breaks ties); listings ordered
// by name use Key. Unused fields are zero. Time keeps full nanosecond
// precision over its whole range (it is not stored as UnixNano, which
// overflows outside 1678..2262); its location is not kept: Decode returns UTC.
type Cursor struct {
	Time time.Time
	Seq  uint64
	Key  string
}

// Encode returns the token for cursor c of the listing s. It fails only when
// c.Key is longer than MaxKeyLen.
func Encode(s Scope, c Cursor) (string, error) {
	if len(c.Key) > MaxKeyLen {
		return "", fmt.Errorf("pagetoken: cursor key of %d bytes exceeds %d", len(c.Key), MaxKeyLen)
	}
	b := make([]byte, 0, fixedLen+binary.MaxVarintLen64+len(c.Key)+checksumLen)
	b = append(b, version)
	b = append(b, s[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Time.Nanosecond()))
	b = binary.BigEndian.AppendUint64(b, c.Seq)
	b = wire.AppendSection(b, c.Key)
	sum := sha256.Sum256(b)
	b = append(b, sum[:checksumLen]...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Decode returns the cursor of token, which must have been produced by Encode
// with the same Scope. Every failure (not base64, wrong length, wrong
// version, checksum mismatch, another listing's token) matches
// ErrInvalidToken; the message says which, without echoing the token.
func Decode(token string, s Scope) (Cursor, error) {
	if len(token) > maxEncodedLen {
		return Cursor{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	// A token is only ever what Encode wrote: one cursor, one spelling.
	// encoding/base64 is lenient (it skips CR and LF anywhere and ignores
	// the last character's unused bits), so the spelling is checked too.
	if err != nil || base64.RawURLEncoding.EncodeToString(b) != token {
		return Cursor{}, fmt.Errorf("%w: not a token", ErrInvalidToken)
	}
	if len(b) < fixedLen+1+checksumLen {
		return Cursor{}, fmt.Errorf("%w: truncated", ErrInvalidToken)
	}
	body, sum := b[:len(b)-checksumLen], b[len(b)-checksumLen:]
	want := sha256.Sum256(body)
	if string(want[:checksumLen]) != string(sum) {
		return Cursor{}, fmt.Errorf("%w: checksum mismatch", ErrInvalidToken)
	}
	// The length check above leaves room for every fixed field: only the
	// key can fail to read.
	r := wire.NewReader(body)
	if v := r.Byte(); v != version {
		return Cursor{}, fmt.Errorf("%w: unsupported version %d", ErrInvalidToken, v)
	}
	var scope Scope
	if copy(scope[:], r.Bytes(scopeLen)); scope != s {
		return Cursor{}, fmt.Errorf("%w: token belongs to another listing or other filters", ErrInvalidToken)
	}
	sec := int64(r.Uint64BE())
	nsec := r.Uint32BE()
	if nsec >= 1e9 {
		return Cursor{}, fmt.Errorf("%w: malformed time", ErrInvalidToken)
	}
	c := Cursor{Time: time.Unix(sec, int64(nsec)).UTC(), Seq: r.Uint64BE()}
	key := r.Section(MaxKeyLen)
	if r.Err() != nil || r.Len() != 0 {
		return Cursor{}, fmt.Errorf("%w: malformed key", ErrInvalidToken)
	}
	c.Key = string(key)
	return c, nil
}
