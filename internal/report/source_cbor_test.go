package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// The text fast path (shortText, taken by key and str) reads what the
// general path reads and refuses what it refuses: every length around the
// 23-byte limit of a one-byte head and the 8-byte steps of isASCII, with a
// byte ≥ 0x80 (valid UTF-8 or not) at every position, whole or truncated.
func TestCBORShortTextAgreesWithGeneral(t *testing.T) {
	var contents []string
	for n := range 30 {
		ascii := strings.Repeat("p", n)
		contents = append(contents, ascii)
		for i := range n {
			contents = append(contents, ascii[:i]+"\xff"+ascii[i+1:])
			if i+2 <= n {
				contents = append(contents, ascii[:i]+"é"+ascii[i+2:])
			}
		}
	}
	for _, c := range contents {
		// A one-byte head below 24, the one-byte-length head 0x78 otherwise.
		enc := append([]byte{0x60 + byte(len(c))}, c...)
		if len(c) >= 24 {
			enc = append([]byte{0x78, byte(len(c))}, c...)
		}
		for cut := 0; cut <= len(enc); cut++ {
			in := enc[:cut]
			valid := cut == len(enc) && utf8.ValidString(c)

			s := cborSource{}
			s.reset(in)
			v, err := s.str()
			if valid {
				require.NoError(t, err, "%x", in)
				require.Equal(t, c, string(v), "%x", in)
				require.True(t, s.atEnd(), "%x", in)
			} else {
				require.Error(t, err, "%x", in)
			}

			// The same text as the key of a one-pair map, with its value
			// when the text is whole.
			m := append([]byte{0xa1}, in...)
			if cut == len(enc) {
				m = append(m, 0x01)
			}
			s.reset(m)
			require.NoError(t, s.beginObject())
			k, ok, err := s.key()
			if valid {
				require.NoError(t, err, "%x", m)
				require.True(t, ok, "%x", m)
				require.Equal(t, c, string(k), "%x", m)
				n, err := s.integer()
				require.NoError(t, err, "%x", m)
				require.Equal(t, int64(1), n)
				ok, err = s.next()
				require.NoError(t, err, "%x", m)
				require.False(t, ok, "the map has one pair")
			} else {
				require.False(t, ok && err == nil, "%x", m)
			}
		}
	}
}

// A key of an indefinite-length map, or one past a definite map's last
// pair, is not read by the fast path: the map's end comes first.
func TestCBORKeyAtMapEnd(t *testing.T) {
	var s cborSource
	// {} followed by a text that must not be taken as a key.
	s.reset([]byte{0xa0, 0x61, 'k'})
	require.NoError(t, s.beginObject())
	_, ok, err := s.key()
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, 1, s.pos)

	// {_ "k": 1} (indefinite) then its break.
	s.reset([]byte{0xbf, 0x61, 'k', 0x01, 0xff})
	require.NoError(t, s.beginObject())
	k, ok, err := s.key()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "k", string(k))
	_, err = s.integer()
	require.NoError(t, err)
	_, ok, err = s.key()
	require.NoError(t, err)
	require.False(t, ok)
	require.True(t, s.atEnd())
}
