package eval

import (
	"errors"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// movedShards returns the indexes of the shards whose bit is set in
// wmMoved.
func movedShards(p *Plane) []int {
	var out []int
	for w := range p.wmMoved {
		for b := p.wmMoved[w].Load(); b != 0; b &= b - 1 {
			out = append(out, w*64+bits.TrailingZeros64(b))
		}
	}
	return out
}

// thingsInTwoShards returns two thing names in different shards of p.
func thingsInTwoShards(t *testing.T, p *Plane) (a, b string) {
	t.Helper()
	a = "thing-0"
	for i := 1; i < 1000; i++ {
		b = "thing-" + strconv.Itoa(i)
		if p.shardOf(b) != p.shardOf(a) {
			return a, b
		}
	}
	t.Fatal("no two things in different shards")
	return
}

func TestWatermarkIsTheNewestInputOfAnyShard(t *testing.T) {
	p, _ := newSweepPlane(t, 8)
	a, b := thingsInTwoShards(t, p)
	at := func(s int) time.Time { return sweepStart.Add(time.Duration(s) * time.Second) }
	watermark := func() time.Time {
		w, _, _ := p.Clock()
		return time.Unix(0, w).UTC()
	}
	steps := []struct {
		thing string
		at    time.Time
		want  time.Time
	}{
		{a, at(10), at(10)}, // starts the clock
		{b, at(20), at(20)}, // another shard moves it
		{a, at(15), at(20)}, // a's shard moves, not past b's
		{b, at(12), at(20)}, // an older input moves nothing
		{a, at(30), at(30)},
	}
	for i, s := range steps {
		send(t, p, s.thing, s.at, 1)
		assert.Equal(t, s.want, watermark(), "step %d", i)
		assert.Empty(t, movedShards(p), "step %d: the clock has read every moved shard", i)
	}
}

func TestOnlyAnInputThatMovesItsShardsTimeMarksIt(t *testing.T) {
	p, _ := newSweepPlane(t, 128) // two words of wmMoved
	names := make([]string, 40)
	for i := range names {
		names[i] = "thing-" + strconv.Itoa(i)
		send(t, p, names[i], sweepStart.Add(time.Second), 1)
	}
	p.Clock()
	require.Empty(t, movedShards(p))

	send(t, p, names[3], sweepStart, 1) // older than its shard's time
	assert.Empty(t, movedShards(p))
	send(t, p, names[3], sweepStart.Add(2*time.Second), 1)
	send(t, p, names[3], sweepStart.Add(3*time.Second), 1) // marked once
	send(t, p, names[7], sweepStart.Add(2*time.Second), 1)
	want := []int{int(p.shardOf(names[3]).index), int(p.shardOf(names[7]).index)}
	slices.Sort(want)
	assert.Equal(t, slices.Compact(want), movedShards(p))
	w, _, _ := p.Clock()
	assert.Equal(t, sweepStart.Add(3*time.Second).UnixNano(), w)
	assert.Empty(t, movedShards(p))
}

// TestAClockJumpIsJudgedAgainstEveryShardsNewestInput: an input within the
// jump of the newest input of another shard, which the clock has not read
// yet, is accepted; one beyond it is refused, with that watermark in its
// message.
func TestAClockJumpIsJudgedAgainstEveryShardsNewestInput(t *testing.T) {
	sp, _ := newSweepPlane(t, 8)
	p, err := New(Options{Period: sweepPeriod, Horizon: sweepHorizon, Shards: 8, MaxClockJump: 2 * time.Minute},
		Hooks{}, sp.log, sp.rules.Load())
	require.NoError(t, err)
	a, b := thingsInTwoShards(t, p)
	at := func(s int) time.Time { return sweepStart.Add(time.Duration(s) * time.Second) }
	send(t, p, a, at(10), 1)
	p.Clock()
	send(t, p, b, at(100), 1) // b's shard only: no boundary, the clock does not look

	require.NoError(t, p.Message(nil, a, at(200), true, "t", 1, netip.Addr{}), "within 2m of b's input")
	send(t, p, b, at(250), 1)
	err = p.Message(nil, a, at(371), true, "t", 1, netip.Addr{})
	var ie *InputError
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.False(t, ie.Late)
	assert.Contains(t, ie.Message, "ahead of the watermark, "+at(250).Format(time.RFC3339Nano))
	assert.Equal(t, uint64(1), p.Stats().ClockJumps)
}

// TestWatermarkWithConcurrentInputs: inputs of many things on several
// goroutines, the clock read meanwhile; at the end the watermark is the
// newest input, and the inputs are all counted.
func TestWatermarkWithConcurrentInputs(t *testing.T) {
	p, _ := newSweepPlane(t, 16)
	const goroutines, each = 4, 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				p.Clock()
				p.Stats()
			}
		}
	}()
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				thing := "thing-" + strconv.Itoa(g) + "-" + strconv.Itoa(i%37)
				require.NoError(t, p.Message(nil, thing, sweepStart.Add(time.Duration(g*each+i)*time.Millisecond), true, "t", 1, netip.Addr{}))
			}
		})
	}
	wg.Wait()
	close(stop)
	w, _, _ := p.Clock()
	assert.Equal(t, sweepStart.Add(time.Duration(goroutines*each-1)*time.Millisecond).UnixNano(), w)
	assert.Equal(t, uint64(goroutines*each), p.Stats().Inputs)
}
