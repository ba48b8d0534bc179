package criteria

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPortSet(t *testing.T) {
	tests := []struct {
		name  string
		ports []uint16
		in    []uint16
		out   []uint16
		len   int
	}{
		{"empty", nil, nil, []uint16{0, 1, 443, 65535}, 0},
		{"devguide allow-list", []uint16{443, 80}, []uint16{80, 443}, []uint16{0, 8080, 81, 442, 444}, 2},
		{"edges", []uint16{0, 63, 64, 65535}, []uint16{0, 63, 64, 65535}, []uint16{1, 62, 65, 65534}, 4},
		{"duplicates", []uint16{8000, 8000, 8000}, []uint16{8000}, []uint16{7999, 8001}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewPortSet(tt.ports)
			for _, p := range tt.in {
				assert.True(t, s.Contains(p), "port %d", p)
			}
			for _, p := range tt.out {
				assert.False(t, s.Contains(p), "port %d", p)
			}
			assert.Equal(t, tt.len, s.Len())
		})
	}
	var zero PortSet
	assert.False(t, zero.Contains(80))
	var nilSet *PortSet
	assert.False(t, nilSet.Contains(80))
	assert.Zero(t, nilSet.Len())
}

func TestPortSetDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		ports := make([]uint16, r.IntN(2000))
		want := map[uint16]bool{}
		for i := range ports {
			ports[i] = uint16(r.IntN(1 << 16))
			want[ports[i]] = true
		}
		s := NewPortSet(ports)
		require.Equal(t, len(want), s.Len())
		for range 1000 {
			p := uint16(r.IntN(1 << 16))
			if len(ports) > 0 && r.IntN(2) == 0 {
				p = ports[r.IntN(len(ports))]
			}
			require.Equal(t, want[p], s.Contains(p), "port %d", p)
		}
	}
}
