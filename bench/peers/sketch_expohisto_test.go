package peers

import (
	"math"

	"github.com/lightstep/go-expohisto/structure"
	"google.golang.org/protobuf/encoding/protowire"
)

// The OpenTelemetry base-2 exponential histogram, as a sketch peer.
// go.opentelemetry.io/otel/sdk/metric keeps its aggregator internal; its
// standalone form is lightstep/go-expohisto's structure.Histogram, the
// implementation written for the OpenTelemetry Go SDK and Collector. It is
// measured at OpenTelemetry's default of 160 buckets (the SDK's setting:
// under 5% error for a 10^5 range of values) and at 2,048 buckets, where the
// three benchmark distributions get scale 6, 64 buckets per octave, the
// resolution of ruledetect's sketch.
//
// The histogram has no quantile query: OpenTelemetry exports the buckets and
// leaves quantiles to the backend. expoSketch answers them the usual way for
// a logarithmic histogram: the nearest-rank bucket, and in it the point of
// least relative error, 2·lo·hi/(lo+hi) (DDSketch's estimator), clamped to
// the exact min and max the histogram keeps. Its encoded size is the OTLP
// protobuf of the data point's count, sum, scale, zero count, positive
// buckets, min and max (no timestamps or attributes).

type expoSketch struct{ h *structure.Float64 }

func newExpo(maxSize int32) *expoSketch {
	h := new(structure.Float64)
	h.Init(structure.NewConfig(structure.WithMaxSize(maxSize)))
	return &expoSketch{h}
}

func (s *expoSketch) add(v float64) { s.h.Update(v) }

func (s *expoSketch) merge(o quantileSketch) { s.h.MergeFrom(o.(*expoSketch).h) }

// quantiles walks the buckets once for qs in ascending order (as
// sketchStats is), once per query otherwise.
func (s *expoSketch) quantiles(dst, qs []float64) []float64 {
	h := s.h
	n := h.Count()
	pos := h.Positive()
	base := math.Exp2(math.Exp2(-float64(h.Scale()))) // bucket i is (base^i, base^(i+1)]
	k, seen := uint32(0), h.ZeroCount()               // the benchmark's values are never negative
	prev := math.Inf(-1)
	for _, q := range qs {
		switch {
		case n == 0:
			dst = append(dst, math.NaN())
			continue
		case q <= 0:
			dst = append(dst, h.Min())
			continue
		case q >= 1:
			dst = append(dst, h.Max())
			continue
		}
		if q < prev {
			k, seen = 0, h.ZeroCount()
		}
		prev = q
		rank := max(uint64(math.Ceil(q*float64(n)-1e-9)), 1)
		v := 0.0
		if rank > seen {
			for ; k < pos.Len(); k++ {
				if seen+pos.At(k) >= rank {
					lo := math.Pow(base, float64(pos.Offset()+int32(k)))
					hi := lo * base
					v = 2 * lo * hi / (lo + hi)
					break
				}
				seen += pos.At(k)
			}
		}
		dst = append(dst, min(max(v, h.Min()), h.Max()))
	}
	return dst
}

func (s *expoSketch) encodedSize() int {
	h := s.h
	var b []byte
	b = protowire.AppendTag(b, 4, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, h.Count())
	b = protowire.AppendTag(b, 5, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(h.Sum()))
	b = protowire.AppendTag(b, 6, protowire.VarintType)
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(h.Scale())))
	b = protowire.AppendTag(b, 7, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, h.ZeroCount())
	var buckets, counts []byte
	pos := h.Positive()
	for k := range pos.Len() {
		counts = protowire.AppendVarint(counts, pos.At(k))
	}
	buckets = protowire.AppendTag(buckets, 1, protowire.VarintType)
	buckets = protowire.AppendVarint(buckets, protowire.EncodeZigZag(int64(pos.Offset())))
	buckets = protowire.AppendTag(buckets, 2, protowire.BytesType)
	buckets = protowire.AppendBytes(buckets, counts)
	b = protowire.AppendTag(b, 8, protowire.BytesType)
	b = protowire.AppendBytes(b, buckets)
	b = protowire.AppendTag(b, 12, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(h.Min()))
	b = protowire.AppendTag(b, 13, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(h.Max()))
	return len(b)
}
