package ruledetect

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestTmpSlow(t *testing.T) {
	for seed := range 40 {
		rng := rand.New(rand.NewPCG(uint64(seed), 77))
		b := make([]byte, 3000)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		start := time.Now()
		r := newPropRun(t, b)
		r.run()
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Logf("seed %d: %v, %d ops", seed, d, len(r.log))
		}
	}
}
