package report

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Failure 7 of issue 9: a custom number of 23 digits was accepted while
// 9223372036854775807 was dropped for "more than 15 significant digits",
// because the rule judged the parsed double's shortest form. The digits are
// now counted in the text, JSON literal or CBOR integer alike.
func TestCustomNumberDigitsCountedInTheText(t *testing.T) {
	cborUint := func(v uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x1b}, v) }
	cborNeg := func(v uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x3b}, v) } // −1−v
	cborF64 := func(f float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xfb}, math.Float64bits(f)) }
	tests := []struct {
		json    string
		cbor    []byte // the same number as CBOR, when CBOR can carry it
		dropped bool
	}{
		{"10000000000000000000000", nil, true}, // 23 digits: the accepted number
		{"9223372036854775807", cborUint(9223372036854775807), true},
		{"18446744073709551615", cborUint(math.MaxUint64), true},
		{"-18446744073709551616", cborNeg(math.MaxUint64), true},
		{"1000000000000000", cborUint(1e15), true}, // 16 digits, trailing zeros count
		{"100000000000000", cborUint(1e14), false},
		{"123456789012345", cborUint(123456789012345), false},
		{"1234567890123456", cborUint(1234567890123456), true},
		{"-123456789012345", cborNeg(123456789012344), false},
		{"-1234567890123456", cborNeg(1234567890123455), true},
		{"-1000000000000000", cborNeg(999999999999999), true}, // the magnitude carries into a 16th digit
		{"0", cborUint(0), false},
		{"-0", nil, false},
		{"0.0", nil, false},
		{"0.000000000000001", cborF64(1e-15), false}, // leading zeros do not count
		{"1.50", cborF64(1.5), false},
		{"1e300", cborF64(1e300), false},
		{"1.5E+3", cborF64(1500), false},
		{"0.1234567890123456", cborF64(0.1234567890123456), true},
		{"1.000000000000000", nil, true}, // 16 digits in the text
		{"12345678901234567890123e-10", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			in := fmt.Sprintf(`{"hed":{"rid":1,"v":"1.0"},"cmet":{"m":[{"number":%s}]}}`, tt.json)
			r, err := decodeJSON(t, []byte(in))
			require.NoError(t, err)
			if tt.dropped {
				assert.Empty(t, r.Custom, "JSON")
				assert.Equal(t, []Dropped{{"m", "cmet.m[0].number", "more than 15 significant digits"}}, r.Dropped, "JSON")
			} else {
				assert.Empty(t, r.Dropped, "JSON")
				assert.Len(t, r.Custom, 1, "JSON")
			}
			if tt.cbor == nil {
				return
			}
			b := append([]byte{0xa2, 0x63, 'h', 'e', 'd', 0xa2, 0x63, 'r', 'i', 'd', 0x01, 0x61, 'v', 0x63, '1', '.', '0',
				0x64, 'c', 'm', 'e', 't', 0xa1, 0x61, 'm', 0x81, 0xa1, 0x66, 'n', 'u', 'm', 'b', 'e', 'r'}, tt.cbor...)
			c, err := decodeCBOR(t, b)
			require.NoError(t, err)
			assert.Equal(t, r.Dropped, c.Dropped, "CBOR drops what JSON drops")
			assert.Equal(t, len(r.Custom), len(c.Custom), "CBOR keeps what JSON keeps")
		})
	}
}

func TestSignificantDigits(t *testing.T) {
	for text, want := range map[string]int{
		"0": 1, "-0": 1, "0.000": 1, "7": 1, "10": 2, "1.50": 3, "0.00123": 3, "-0.00123e-5": 3,
		"9223372036854775807": 19, "1e300": 1, "1.0E+10": 2, "100.000": 6,
	} {
		assert.Equal(t, want, significantDigits([]byte(text)), text)
	}
}
