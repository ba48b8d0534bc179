package violation

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refStreak is the machine of DESIGN rule 6 written as plainly as possible,
// with the documented clamping of toAlarm and toClear to 1..MaxConsecutive.
type refStreak struct {
	inAlarm bool
	count   int
}

func clamp(n int) int { return max(1, min(n, MaxConsecutive)) }

func (r *refStreak) observe(violating bool, toAlarm, toClear int) Transition {
	switch {
	case !r.inAlarm && !violating:
		r.count = 0
		return None
	case !r.inAlarm:
		r.count++
		if r.count >= clamp(toAlarm) {
			r.inAlarm, r.count = true, 0
			return Alarm
		}
		return Pending
	case violating:
		r.count = 0
		return StillViolating
	default:
		r.count++
		if r.count >= clamp(toClear) {
			r.inAlarm, r.count = false, 0
			return Clear
		}
		return Recovering
	}
}

// TestStreakExhaustive checks every (state, count, verdict, toAlarm,
// toClear) combination, thresholds out of range included, against the
// reference model.
func TestStreakExhaustive(t *testing.T) {
	thresholds := []int{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1 << 30}
	n := 0
	for _, inAlarm := range []bool{false, true} {
		for count := range MaxConsecutive {
			for _, violating := range []bool{false, true} {
				for _, toAlarm := range thresholds {
					for _, toClear := range thresholds {
						var s Streak
						b := byte(count)
						if inAlarm {
							b |= alarmBit
						}
						require.NoError(t, s.UnmarshalBinary([]byte{b}))
						ref := refStreak{inAlarm, count}
						want := ref.observe(violating, toAlarm, toClear)
						got := s.Observe(violating, toAlarm, toClear)
						require.Equal(t, want, got, "state %v/%d violating=%v toAlarm=%d toClear=%d", inAlarm, count, violating, toAlarm, toClear)
						require.Equal(t, ref.inAlarm, s.InAlarm())
						require.Equal(t, ref.count, s.Count())
						require.Less(t, s.Count(), MaxConsecutive, "the stored count never reaches the maximum")
						n++
					}
				}
			}
		}
	}
	assert.Equal(t, 2*MaxConsecutive*2*len(thresholds)*len(thresholds), n)
}

func TestStreakSequences(t *testing.T) {
	const V, C = true, false
	tests := []struct {
		name             string
		toAlarm, toClear int
		verdicts         []bool
		want             []Transition
	}{
		{"defaults alarm and clear at once", 1, 1, []bool{C, V, V, C, C}, []Transition{None, Alarm, StillViolating, Clear, None}},
		{"three to alarm, reset by compliant", 3, 1, []bool{V, V, C, V, V, V}, []Transition{Pending, Pending, None, Pending, Pending, Alarm}},
		{"two to clear, reset by violation", 1, 2, []bool{V, C, V, C, C}, []Transition{Alarm, Recovering, StillViolating, Recovering, Clear}},
		{"ten both ways", 10, 10, append(repeat(V, 10), repeat(C, 10)...), append(append(repeat(Pending, 9), Alarm), append(repeat(Recovering, 9), Clear)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Streak
			var got []Transition
			for _, v := range tt.verdicts {
				got = append(got, s.Observe(v, tt.toAlarm, tt.toClear))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func repeat[T any](x T, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = x
	}
	return s
}

// TestStreakThresholdChange: a profile update that lowers toAlarm below the
// current run alarms on the next violation.
func TestStreakThresholdChange(t *testing.T) {
	var s Streak
	for range 4 {
		require.Equal(t, Pending, s.Observe(true, 5, 1))
	}
	assert.Equal(t, Alarm, s.Observe(true, 3, 1))
}

func TestStreakBinary(t *testing.T) {
	var s Streak
	s.Observe(true, 1, 3)
	s.Observe(false, 1, 3)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, []byte{alarmBit | 1}, b)
	b2, err := s.AppendBinary([]byte{0xff})
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, alarmBit | 1}, b2)

	var r Streak
	require.NoError(t, r.UnmarshalBinary(b))
	assert.Equal(t, s, r)
	r.Reset()
	assert.False(t, r.InAlarm())
	assert.Zero(t, r.Count())

	for _, bad := range [][]byte{nil, {}, {0, 0}, {0x40}, {0x10}, {MaxConsecutive}, {alarmBit | 0x0f}} {
		before := s
		err := s.UnmarshalBinary(bad)
		require.ErrorIs(t, err, ErrInvalidSnapshot, "% x", bad)
		assert.Equal(t, before, s, "a rejected state changes nothing")
	}
}

func TestTransitionString(t *testing.T) {
	assert.Equal(t, "None", None.String())
	assert.Equal(t, "Clear", Clear.String())
	assert.Equal(t, "Transition(9)", Transition(9).String())
}

func FuzzStreakUnmarshalBinary(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{alarmBit | 3})
	f.Add([]byte{0x0a})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Streak
		if err := s.UnmarshalBinary(b); err != nil {
			require.ErrorIs(t, err, ErrInvalidSnapshot)
			require.Equal(t, Streak{}, s)
			return
		}
		out, err := s.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, out)
		s.Observe(len(b)%2 == 0, 3, 3) // any restored state is a valid state
		require.Less(t, s.Count(), MaxConsecutive)
	})
}

func BenchmarkStreakObserve(b *testing.B) {
	b.ReportAllocs()
	var s Streak
	for i := 0; b.Loop(); i++ {
		s.Observe(i%7 < 4, 3, 2)
	}
}
