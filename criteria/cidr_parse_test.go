package criteria

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCIDR(t *testing.T) {
	tests := []struct {
		in   string
		want string
		bad  bool
	}{
		{in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "192.168.100.14/24", want: "192.168.100.0/24"}, // host bits masked (CFN contract input)
		{in: "203.0.113.9", want: "203.0.113.9/32"},
		{in: "2001:db8::1/32", want: "2001:db8::/32"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "::ffff:10.1.2.3/104", want: "10.0.0.0/8"},
		{in: "::ffff:10.1.2.3", want: "10.1.2.3/32"},
		{in: "::ffff:0:0/95", want: "::fffe:0:0/95"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "::/0", want: "::/0"},
		{in: "10.0.0.0/33", bad: true},
		{in: "10.0.0/8", bad: true},
		{in: "fe80::1%eth0", bad: true},
		{in: "", bad: true},
		{in: "not-a-cidr", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCIDR(tt.in)
			if tt.bad {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrInvalidCIDR))
				assert.Contains(t, err.Error(), tt.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, netip.MustParsePrefix(tt.want), got)
		})
	}
}
