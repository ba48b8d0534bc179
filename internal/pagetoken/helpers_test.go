package pagetoken

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func mustEncode(tb testing.TB, s Scope, c Cursor) string {
	tb.Helper()
	tok, err := Encode(s, c)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// mustBody returns a token's bytes without its checksum.
func mustBody(tb testing.TB, tok string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		tb.Fatal(err)
	}
	return b[:len(b)-checksumLen]
}

// seal appends a valid checksum and encodes, as Encode does.
func seal(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(append(body, sum[:checksumLen]...))
}
