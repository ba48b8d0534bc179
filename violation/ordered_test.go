package violation

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type item pos

func (i item) position() pos { return pos(i) }

// ordered behaves like a sorted slice under random inserts (in and out of
// order), removals, seeks and prefix drops.
func TestOrderedAgainstSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o ordered[item]
	var model []item
	cmpItem := func(a, b item) int {
		switch {
		case pos(a).less(pos(b)):
			return -1
		case pos(b).less(pos(a)):
			return 1
		}
		return 0
	}
	var seq uint64
	base := time.Unix(1e9, 0)
	horizon := 0
	for step := range 20000 {
		switch r := rng.IntN(100); {
		case r < 70:
			seq++
			tm := base.Add(time.Duration(horizon+rng.IntN(50)-40) * time.Second)
			if rng.IntN(10) == 0 { // far in the past
				tm = base.Add(time.Duration(rng.IntN(horizon+1)) * time.Second)
			}
			horizon++
			x := item{tm, seq}
			o.insert(x)
			i, _ := slices.BinarySearchFunc(model, x, cmpItem)
			model = slices.Insert(model, i, x)
		case r < 85 && len(model) > 0:
			i := rng.IntN(len(model))
			require.True(t, o.remove(pos(model[i])))
			require.False(t, o.remove(pos(model[i])))
			model = slices.Delete(model, i, i+1)
		case r < 87:
			cut := base.Add(time.Duration(rng.IntN(horizon/4+1)) * time.Second)
			var gone []item
			n := o.dropBefore(cut, func(x item) { gone = append(gone, x) })
			k := 0
			for k < len(model) && model[k].t.Before(cut) {
				k++
			}
			require.Equal(t, k, n)
			require.Equal(t, len(model[:k]), len(gone))
			if k > 0 {
				require.Equal(t, model[:k], gone)
			}
			model = slices.Delete(model, 0, k)
		default:
			p := pos{base.Add(time.Duration(rng.IntN(horizon+1)) * time.Second), uint64(rng.IntN(int(seq) + 1))}
			for _, incl := range []bool{true, false} {
				ci, i := o.seek(p, incl)
				var got []item
				o.from(ci, i, func(x item) bool { got = append(got, x); return len(got) < 5 })
				k := 0
				for k < len(model) && (pos(model[k]).less(p) || !incl && pos(model[k]) == p) {
					k++
				}
				want := model[k:min(k+5, len(model))]
				if len(want) == 0 {
					want = nil
				}
				require.Equal(t, want, got, "step %d seek %v incl=%v", step, p, incl)
			}
		}
		require.Equal(t, len(model), o.len())
	}
	var all []item
	o.from(0, 0, func(x item) bool { all = append(all, x); return true })
	require.Equal(t, model, all)
	for _, c := range o.chunks {
		require.NotEmpty(t, c)
		require.LessOrEqual(t, len(c), 2*chunkLen)
	}
}
