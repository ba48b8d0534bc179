package sketch

import (
	"encoding/binary"
	"math"
	"slices"
)

// DefaultExactLimit is the population size up to which the engine's
// statistical thresholds are exact nearest-rank percentiles by default;
// above it they come from the sketch.
//
// Why 10,000 (BenchmarkPopulation, n Adds then one Quantile, medians on the
// 2-core reference machine): at 10^3 values exact costs 8.5 µs against the
// sketch's 23 µs (its tails fill first); at 10^4 they are even, 71 µs
// against 63 µs, but exact is error-free; at 10^5 exact costs 1.14 ms
// against 0.44 ms. Memory and the encoding exchanged between engines are
// 8 B per value when exact (80 KB at 10^4) against ≈ 2–4 KB for a sketch
// of any size. So below 10^4 values exactness is free and removes the
// sketch's error (≤ 0.78 %) where one device can move a threshold; above it
// exact grows in time, memory and bytes on the wire while the sketch's
// error stays far below the spread between neighbouring devices' values.
const DefaultExactLimit = 10_000

// Population is the population of a statistical threshold: exact
// nearest-rank quantiles (values kept and selected) while it holds at most
// its exact limit of values, a Sketch above it. The switch is transparent and
// one-way until Reset.
//
// The zero Population has an exact limit of 0, i.e. always sketches; use
// NewPopulation for exact quantiles. Not safe for concurrent use.
type Population struct {
	limit    int
	vals     []float64
	sorted   bool // vals is ascending
	sketched bool // values are in sk, vals is unused
	sk       Sketch
}

// NewPopulation returns an empty population that is exact up to exactLimit
// values (a negative limit counts as 0).
func NewPopulation(exactLimit int) *Population {
	return &Population{limit: max(exactLimit, 0)}
}

// Limit returns the exact limit.
func (p *Population) Limit() int { return p.limit }

// Exact reports whether quantiles are currently exact.
func (p *Population) Exact() bool { return !p.sketched }

// Len returns the number of values.
func (p *Population) Len() uint64 {
	if p.sketched {
		return p.sk.Count()
	}
	return uint64(len(p.vals))
}

// Add records v. NaN is ignored and −0 counts as 0, as in Sketch.Add.
func (p *Population) Add(v float64) {
	if v != v {
		return
	}
	if !p.sketched {
		if len(p.vals) < p.limit {
			if v == 0 {
				v = 0
			}
			p.vals = append(p.vals, v)
			p.sorted = false
			return
		}
		p.spill()
	}
	p.sk.Add(v)
}

// spill moves the exact values into the sketch.
func (p *Population) spill() {
	for _, v := range p.vals {
		p.sk.Add(v)
	}
	p.vals = p.vals[:0]
	p.sketched = true
}

// Reset empties the population, returns it to exact mode and keeps its
// memory for reuse.
func (p *Population) Reset() {
	p.vals = p.vals[:0]
	p.sorted = false
	p.sketched = false
	p.sk.Reset()
}

// Merge adds o's values to p. The result is exact while both are exact and
// the total is within p's limit; otherwise it is the Sketch of all values,
// which merges losslessly. o may be p. It fails with ErrOverflow, changing
// nothing, if the count would exceed 2^64−1.
func (p *Population) Merge(o *Population) error {
	if o == nil || o.Len() == 0 {
		return nil
	}
	if p.Len()+o.Len() < p.Len() {
		return ErrOverflow
	}
	if !p.sketched && !o.sketched && uint64(len(p.vals))+uint64(len(o.vals)) <= uint64(p.limit) {
		p.vals = append(p.vals, o.vals...)
		p.sorted = false
		return nil
	}
	if o == p {
		if !p.sketched {
			p.spill()
		}
		return p.sk.Merge(&p.sk)
	}
	if !p.sketched {
		p.spill()
	}
	if o.sketched {
		return p.sk.Merge(&o.sk)
	}
	for _, v := range o.vals {
		p.sk.Add(v)
	}
	return nil
}

// Quantile returns the nearest-rank q-quantile (see Sketch.Quantile): exact
// in exact mode, within the Sketch's bound otherwise. NaN when empty or q is
// not in [0, 1].
func (p *Population) Quantile(q float64) float64 {
	if p.sketched {
		return p.sk.Quantile(q)
	}
	if len(p.vals) == 0 || !validQuantile(q) {
		return math.NaN()
	}
	k := int(rank(q, uint64(len(p.vals)))) - 1
	if p.sorted {
		return p.vals[k]
	}
	return selectKth(p.vals, k)
}

// Quantiles appends the quantile of each of qs to dst, in order. In exact
// mode with more than two quantiles it sorts the values once (O(n log n))
// rather than selecting each; later queries then cost O(1).
func (p *Population) Quantiles(dst []float64, qs []float64) []float64 {
	if p.sketched {
		return p.sk.Quantiles(dst, qs)
	}
	if len(qs) > 2 && !p.sorted {
		slices.Sort(p.vals)
		p.sorted = true
	}
	for _, q := range qs {
		dst = append(dst, p.Quantile(q))
	}
	return dst
}

// populationVersion is the first byte of a Population encoding:
//
//	version  byte = 1
//	mode     byte: 0 exact, 1 sketch
//	limit    uvarint
//	exact:   uvarint count (≤ limit), then each value as 8 bytes little-endian
//	sketch:  the Sketch encoding
const populationVersion = 1

// MarshalBinary encodes p, its limit included. It never fails.
func (p *Population) MarshalBinary() ([]byte, error) { return p.AppendBinary(nil) }

// AppendBinary appends the encoding of p to b. It never fails.
func (p *Population) AppendBinary(b []byte) ([]byte, error) {
	mode := byte(0)
	if p.sketched {
		mode = 1
	}
	b = append(b, populationVersion, mode)
	b = binary.AppendUvarint(b, uint64(p.limit))
	if p.sketched {
		return p.sk.AppendBinary(b)
	}
	b = binary.AppendUvarint(b, uint64(len(p.vals)))
	for _, v := range p.vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

// UnmarshalBinary replaces p, limit included, with the population encoded
// in data. Bad input is rejected with a *DecodeError (see
// Sketch.UnmarshalBinary) and leaves p unchanged.
func (p *Population) UnmarshalBinary(data []byte) error {
	d := newDecoder("Population", data)
	var t Population
	if err := t.decode(d); err != nil {
		return err
	}
	if d.left() != 0 {
		return d.fail("end", ErrCorrupt, "trailing bytes")
	}
	*p = t
	return nil
}

func (p *Population) decode(d *decoder) error {
	v, err := d.byte("version")
	if err != nil {
		return err
	}
	if v != populationVersion {
		return d.failAt(d.off()-1, "version", ErrVersion, "got %d, want %d", v, populationVersion)
	}
	mode, err := d.byte("mode")
	if err != nil {
		return err
	}
	if mode > 1 {
		return d.failAt(d.off()-1, "mode", ErrCorrupt, "mode %d", mode)
	}
	at := d.off()
	limit, err := d.uvarint("limit")
	if err != nil {
		return err
	}
	if limit > math.MaxInt32 {
		return d.failAt(at, "limit", ErrCorrupt, "limit %d above %d", limit, math.MaxInt32)
	}
	p.limit = int(limit)
	if mode == 1 {
		p.sketched = true
		d.typ = "Sketch"
		err := p.sk.decode(d)
		p.sk.setGates()
		return err
	}
	n, err := d.count("count", "exact values", 8, p.limit)
	if err != nil {
		return err
	}
	p.vals = make([]float64, n)
	for k := range p.vals {
		u, _ := d.uint64("value")
		v := math.Float64frombits(u)
		if v != v || u == 1<<63 {
			return d.failAt(d.off()-8, "value", ErrCorrupt, "NaN or −0 is never recorded")
		}
		p.vals[k] = v
	}
	return nil
}
