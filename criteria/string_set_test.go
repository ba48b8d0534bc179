package criteria

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringSet(t *testing.T) {
	// Strings that agree in length and in their first and last eight bytes
	// defeat the cheap hash; the set must fall back and stay correct.
	var clash []string
	for i := range 200 {
		clash = append(clash, fmt.Sprintf("prefix--%06d--suffix", i))
	}
	tests := []struct {
		name  string
		strs  []string
		in    []string
		out   []string
		len   int
		cheap bool
	}{
		{"empty", nil, nil, []string{"", "a"}, 0, false},
		{"empty string member", []string{""}, []string{""}, []string{"a", " "}, 1, true},
		{"short strings", []string{"a", "ab", "abc", "abcd", "abcdefg"}, []string{"a", "ab", "abc", "abcd", "abcdefg"}, []string{"b", "abd", "abcde", "A"}, 5, true},
		{"interface names", []string{"eth0", "wlan0"}, []string{"eth0", "wlan0"}, []string{"eth1", "wlan", "ETH0"}, 2, true},
		{"duplicates", []string{"x", "x", "y"}, []string{"x", "y"}, []string{"z"}, 2, true},
		{"byte-exact", []string{"café"}, []string{"café"}, []string{"cafe\u0301", "CAFÉ"}, 1, true},
		{"cheap-hash clash", clash, clash[:5], []string{"prefix--999999--suffix", "prefix--00000--suffix"}, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStringSet(tt.strs)
			for _, x := range tt.in {
				assert.True(t, s.Contains(x), "%q", x)
			}
			for _, x := range tt.out {
				assert.False(t, s.Contains(x), "%q", x)
			}
			assert.Equal(t, tt.len, s.Len())
			if tt.len > 0 {
				assert.Equal(t, tt.cheap, s.cheap, "hash choice")
				assert.LessOrEqual(t, longestCluster(s.tags), maxCluster)
			}
		})
	}
	var nilSet *StringSet
	assert.False(t, nilSet.Contains(""))
	assert.Zero(t, nilSet.Len())
	var zero StringSet
	assert.False(t, zero.Contains(""))
}

func TestStringSetDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	word := func() string {
		switch r.IntN(4) {
		case 0:
			return fmt.Sprintf("device-%06d", r.IntN(3000))
		case 1:
			return strings.Repeat("ab", r.IntN(4)) + string(rune('a'+r.IntN(5)))
		case 2:
			return fmt.Sprintf("a-long-common-prefix/%d/and-a-long-common-suffix", r.IntN(300))
		default:
			b := make([]byte, r.IntN(20))
			for i := range b {
				b[i] = byte(r.IntN(4))
			}
			return string(b)
		}
	}
	for range 200 {
		strs := make([]string, r.IntN(1000))
		want := map[string]bool{}
		for i := range strs {
			strs[i] = word()
			want[strs[i]] = true
		}
		s := NewStringSet(strs)
		require.Equal(t, len(want), s.Len())
		for range 500 {
			x := word()
			require.Equal(t, want[x], s.Contains(x), "%q", x)
		}
	}
}
