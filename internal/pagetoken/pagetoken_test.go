package pagetoken

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	s := NewScope("ListViolationEvents", "thing-1", "", "STATIC")
	cases := []Cursor{
		{},
		{Time: time.Unix(1560279000, 0).UTC(), Seq: 1},
		{Time: time.Unix(-1<<40, 999_999_999).UTC(), Seq: ^uint64(0)},
		{Time: time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC), Seq: 42, Key: "profile-a"},
		{Key: strings.Repeat("k", MaxKeyLen)},
	}
	for _, c := range cases {
		tok := mustEncode(t, s, c)
		got, err := Decode(tok, s)
		if err != nil {
			t.Fatalf("Decode(Encode(%+v)): %v", c, err)
		}
		if !got.Time.Equal(c.Time) || got.Seq != c.Seq || got.Key != c.Key {
			t.Errorf("round trip %+v -> %+v", c, got)
		}
	}
}

func TestEncodeKeyTooLong(t *testing.T) {
	if _, err := Encode(Scope{}, Cursor{Key: strings.Repeat("k", MaxKeyLen+1)}); err == nil {
		t.Fatal("oversized key accepted")
	}
}

func TestScopeDistinguishesParts(t *testing.T) {
	if NewScope("k", "ab", "c") == NewScope("k", "a", "bc") {
		t.Error(`("ab","c") and ("a","bc") share a scope`)
	}
	if NewScope("k", "") == NewScope("k") {
		t.Error("an empty filter and no filter share a scope")
	}
	if NewScope("ListViolationEvents") == NewScope("ListActiveViolations") {
		t.Error("two kinds share a scope")
	}
	if NewScope("k", "a") != NewScope("k", "a") {
		t.Error("scope is not deterministic")
	}
}

func TestDecodeRejects(t *testing.T) {
	s := NewScope("ListActiveViolations")
	good := mustEncode(t, s, Cursor{Time: time.Unix(100, 5), Seq: 7})

	raw := []byte(good)
	flipped := append([]byte(nil), raw...)
	flipped[10] ^= 1

	other := mustEncode(t, NewScope("ListActiveViolations", "thing"), Cursor{Seq: 7})

	cases := map[string]string{
		"empty":         "",
		"not base64":    "!!!!",
		"std base64":    "ab+/",
		"truncated":     good[:len(good)-3],
		"bit flip":      string(flipped),
		"other scope":   other,
		"huge":          strings.Repeat("A", 10_000),
		"real aws":      "Amo6XIUrsOohsojuIG6TuwSR3X9iUvH2OCksBZg6bed2j21VSnD1uP1pflxKX1+a3cvBRSosIB0xFv40kM6RYBknZ",
		"trailing data": good + "AA",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(tok, s)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Decode = %v, want ErrInvalidToken", err)
			}
			if len(tok) > 8 && strings.Contains(err.Error(), tok) {
				t.Errorf("error %q echoes the token", err)
			}
		})
	}
}

// TestDecodeRejectsForgedFields re-checksums bodies with a bad version, a bad
// nanosecond field and a bad key length, so the checks behind the checksum
// are exercised too.
func TestDecodeRejectsForgedFields(t *testing.T) {
	s := NewScope("x")
	body := mustBody(t, mustEncode(t, s, Cursor{Key: "ab"}))

	forge := func(mut func(b []byte) []byte) string {
		b := mut(append([]byte(nil), body...))
		return seal(b)
	}
	cases := map[string]string{
		"version": forge(func(b []byte) []byte { b[0] = 2; return b }),
		"nanos":   forge(func(b []byte) []byte { copy(b[17:21], []byte{0xff, 0xff, 0xff, 0xff}); return b }),
		"keylen":  forge(func(b []byte) []byte { b[29] = 5; return b }),
		"varint":  forge(func(b []byte) []byte { return append(b[:29], 0x80) }),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(tok, s); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Decode = %v, want ErrInvalidToken", err)
			}
		})
	}
}

// Regression: the key length was read with binary.Uvarint, which accepts a
// length written in more bytes than it needs, so a re-checksummed token
// with a two-byte length decoded to the cursor of another token; a token
// has one spelling.
func TestDecodeRejectsNonMinimalKeyLength(t *testing.T) {
	s := NewScope("x")
	body := mustBody(t, mustEncode(t, s, Cursor{Key: "ab"}))
	require.Equal(t, []byte{2, 'a', 'b'}, body[29:])
	_, err := Decode(seal(body), s)
	require.NoError(t, err, "the body as Encode wrote it")
	forged := append(append(body[:29:29], 0x82, 0x00), "ab"...)
	_, err = Decode(seal(forged), s)
	require.ErrorIs(t, err, ErrInvalidToken)
	assert.ErrorContains(t, err, "malformed key")
}

func FuzzPageToken(f *testing.F) {
	s := NewScope("ListViolationEvents", "a")
	for _, c := range []Cursor{{}, {Time: time.Unix(1560279000, 0), Seq: 3, Key: "x"}} {
		f.Add(mustEncode(f, s, c), int64(0), uint32(0), uint64(0), "")
	}
	f.Add("garbage", int64(-1), uint32(1e9), uint64(1), "k")
	f.Fuzz(func(t *testing.T, tok string, sec int64, nsec uint32, seq uint64, key string) {
		// Arbitrary text never panics and either fails with ErrInvalidToken or
		// is a token that re-encodes to itself.
		if c, err := Decode(tok, s); err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not match ErrInvalidToken", err)
			}
		} else {
			again, err := Encode(s, c)
			if err != nil || again != tok {
				t.Fatalf("decoded %q but re-encoded %q (%v)", tok, again, err)
			}
		}
		// Every cursor round-trips.
		c := Cursor{Time: time.Unix(sec, int64(nsec%1e9)).UTC(), Seq: seq, Key: key}
		enc, err := Encode(s, c)
		if len(key) > MaxKeyLen {
			if err == nil {
				t.Fatal("oversized key accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(enc, s)
		if err != nil || !got.Time.Equal(c.Time) || got.Seq != c.Seq || got.Key != c.Key {
			t.Fatalf("round trip %+v -> %+v (%v)", c, got, err)
		}
		if _, err := Decode(enc, NewScope("ListActiveViolations")); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("token accepted under another scope: %v", err)
		}
	})
}
