package dimension

import (
	"errors"
	"github.com/ruledetect/ruledetect/internal/echo"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateFilter(t *testing.T) {
	long := strings.Repeat("a", MaxFilterLen)
	tests := []struct {
		filter string
		offset int    // -1: valid
		reason string // substring of the reason
	}{
		{"a", -1, ""},
		{"/", -1, ""},
		{"#", -1, ""},
		{"+", -1, ""},
		{"+/+", -1, ""},
		{"+/tennis/#", -1, ""},
		{"sport/+/player1", -1, ""},
		{"a//b", -1, ""},
		{"device/${iot:ClientId}/auth", -1, ""},
		{"dt/cam-${iot:ClientId}", -1, ""},
		{"${iot:ClientId}", -1, ""},
		{"${iot:ClientId}-${iot:ClientId}/+/#", -1, ""},
		{"$${iot:ClientId}", -1, ""},
		{"$SYS/#", -1, ""},
		{"$share/g/a", -1, ""}, // a literal filter here
		{"$", -1, ""},
		{"a$b{c}", -1, ""},
		{"Accounts payable/€", -1, ""},
		{"\ufeffbom", -1, ""},
		{long, -1, ""},
		{strings.Repeat("é", MaxFilterLen), -1, ""}, // 512 bytes, 256 characters
		{strings.Repeat("a", MaxFilterLen-len(ClientIDVariable)) + ClientIDVariable, -1, ""},

		{"", 0, "empty"},
		{long + "a", MaxFilterLen, "longer than 256 characters"},
		{strings.Repeat("é", MaxFilterLen) + "/", 2 * MaxFilterLen, "longer than"},
		{strings.Repeat("a", MaxFilterLen-len(ClientIDVariable)+1) + ClientIDVariable, MaxFilterLen, "longer than"},
		{"sport+", 5, "'+' must occupy an entire level"},
		{"+sport", 0, "'+' must occupy an entire level"},
		{"a/++", 2, "'+' must occupy"},
		{"sport/tennis#", 12, "'#' must occupy an entire level"},
		{"sport/tennis/#/ranking", 13, "'#' must be the last level"},
		{"#/", 0, "'#' must be the last level"},
		{"##", 0, "'#' must be the last level"},
		{"a/#b", 2, "'#' must be the last level"},
		{"a\x00b", 1, "U+0000"},
		{"a/\xffb", 2, "invalid UTF-8"},
		{"\xed\xa0\x80", 0, "invalid UTF-8"}, // a surrogate, U+D800
		{"a/é\xc3", 4, "invalid UTF-8"},
		{"device/${iot:Thing}/x", 7, "unsupported substitution variable"},
		{"${iot:ClientId", 0, "unsupported substitution variable"},
		{"x/${", 2, "unsupported substitution variable"},
		{"${${iot:ClientId}}", 0, "unsupported substitution variable"},
		{"${iot:ClientId}+", 15, "'+' must occupy"},
	}
	for _, tc := range tests {
		t.Run(echo.Quote(tc.filter), func(t *testing.T) {
			err := ValidateFilter(tc.filter)
			assert.Equal(t, tc.offset < 0, refValidFilter(tc.filter), "reference validator")
			if tc.offset < 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidFilter)
			var fe *FilterError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.filter, fe.Filter)
			assert.Equal(t, tc.offset, fe.Offset)
			assert.Contains(t, fe.Reason, tc.reason)
			assert.Contains(t, err.Error(), tc.reason)
			assert.False(t, errors.Is(err, ErrInvalidTopic))
		})
	}
}

// TestFilterErrorMessage checks that the message names the filter and the
// position, and that a long filter is shortened in it.
func TestFilterErrorMessage(t *testing.T) {
	err := ValidateFilter("sport/tennis#")
	assert.EqualError(t, err, `dimension: invalid topic filter "sport/tennis#" at offset 12: '#' must occupy an entire level`)

	long := strings.Repeat("é", 300)
	err = ValidateFilter(long)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 128+100, "the filter is echoed cut to 128 bytes")
	assert.Contains(t, err.Error(), "(600 bytes)")
	assert.Contains(t, err.Error(), "at offset 512")
}

func TestCompileRejectsInvalidFilter(t *testing.T) {
	m, err := Compile([]string{"a/b", "a/+", "a/#/b", "c"})
	require.Nil(t, m)
	require.ErrorIs(t, err, ErrInvalidFilter)
	assert.Contains(t, err.Error(), "stringValues[2]")
	var fe *FilterError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "a/#/b", fe.Filter)
	assert.Equal(t, 2, fe.Offset)
}

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		topic  string
		offset int // -1: valid
		reason string
	}{
		{"a", -1, ""},
		{"/", -1, ""},
		{"$SYS/x", -1, ""},
		{"a//b/", -1, ""},
		{"${iot:ClientId}", -1, ""}, // only filters substitute
		{"é/ü", -1, ""},
		{strings.Repeat("a", MaxTopicLen), -1, ""},

		{"", 0, "empty"},
		{strings.Repeat("a", MaxTopicLen+1), MaxTopicLen, "longer than 65535 bytes"},
		{"a/+", 2, "wildcard '+'"},
		{"a/#", 2, "wildcard '#'"},
		{"a\x00", 1, "U+0000"},
		{"a\xff/+", 1, "invalid UTF-8"},
		{"é/+\xff", 3, "wildcard '+'"},
		{"abc\xed\xa0\x80", 3, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(echo.Quote(tc.topic), func(t *testing.T) {
			err := ValidateTopic(tc.topic)
			assert.Equal(t, tc.offset < 0, refValidTopic(tc.topic), "reference validator")
			assert.Equal(t, tc.offset < 0, validTopic(tc.topic), "validTopic")
			if tc.offset < 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidTopic)
			var te *TopicError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.topic, te.Topic)
			assert.Equal(t, tc.offset, te.Offset)
			assert.Contains(t, err.Error(), tc.reason)
			assert.False(t, errors.Is(err, ErrInvalidFilter))
		})
	}
}
