package fleet

// rng is a SplitMix64 stream. Seeding one per (thing, minute) from a hash
// makes every choice a pure function of the Config, so records can be made in
// any order without carrying generator state from one minute to the next.
type rng struct{ s uint64 }

func newRNG(seed uint64, thing, minute int, salt uint64) rng {
	r := rng{seed ^ salt*0x9e3779b97f4a7c15}
	r.s ^= mix(uint64(thing)<<32 | uint64(uint32(minute)))
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n) for n > 0.
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// between returns a number in [lo, hi).
func (r *rng) between(lo, hi int64) int64 { return lo + int64(r.next()%uint64(hi-lo)) }

// oneIn reports true with probability 1/n.
func (r *rng) oneIn(n int) bool { return r.intn(n) == 0 }
