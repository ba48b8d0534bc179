package ruledetect

import (
	"cmp"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/eval"
	"github.com/ruledetect/ruledetect/internal/wire"
)

// The metric values section of a snapshot: a uvarint count of series, then
// each series as
//
//	key     thing, metric, dimension and operator: uvarint length, bytes each
//	seq     uvarint, the series' last sequence number
//	values  uvarint count, then each value as a varint of its time − the
//	        watermark, a uvarint sequence number, a kind byte (eval.ValueKind) and
//	        the value: a count as a uvarint, a number as 8 bytes of its
//	        bits, a list as a uvarint length and its elements (ports as
//	        uvarints, addresses and strings length-prefixed, numbers as 8
//	        bytes)
//
// in key order when sorted.

// appendMetricValues encodes the retained values. Called with mu held.
func (e *Engine) appendMetricValues(b []byte, sorted bool) []byte {
	watermark := e.plane.Watermark()
	s := &e.metrics
	keys := slices.Clone(s.keys)
	if sorted {
		slices.SortFunc(keys, func(a, b thingSeries) int {
			return cmp.Or(strings.Compare(a.thing, b.thing), strings.Compare(a.Metric, b.Metric),
				strings.Compare(a.Dimension, b.Dimension), strings.Compare(a.Operator, b.Operator))
		})
	}
	// Only the values ListMetricValues can still list are written: what
	// the sweep has not yet reclaimed is not state.
	cutoff := e.metricCutoff()
	keys = slices.DeleteFunc(keys, func(k thingSeries) bool { return len(visible(s.series[k].vs, cutoff)) == 0 })
	if len(keys) == 0 {
		return b // an empty section, as with retention off
	}
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		ser := s.series[k]
		vs := visible(ser.vs, cutoff)
		for _, s := range [...]string{k.thing, k.Metric, k.Dimension, k.Operator} {
			b = wire.AppendSection(b, s)
		}
		b = binary.AppendUvarint(b, ser.seq)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, m := range vs {
			b = binary.AppendVarint(b, m.t-watermark)
			b = binary.AppendUvarint(b, m.seq)
			b = append(b, byte(m.kind))
			switch m.kind {
			case eval.ValueCount:
				b = binary.AppendUvarint(b, m.n)
			case eval.ValueNumber:
				b = binary.LittleEndian.AppendUint64(b, m.n)
			case eval.ValuePorts:
				ps := m.list.([]uint16)
				b = binary.AppendUvarint(b, uint64(len(ps)))
				for _, p := range ps {
					b = binary.AppendUvarint(b, uint64(p))
				}
			case eval.ValueAddrs:
				as := m.list.([]netip.Addr)
				b = binary.AppendUvarint(b, uint64(len(as)))
				for _, a := range as {
					ab, _ := a.MarshalBinary()
					b = wire.AppendSection(b, ab)
				}
			case eval.ValueStrings:
				ss := m.list.([]string)
				b = binary.AppendUvarint(b, uint64(len(ss)))
				for _, s := range ss {
					b = wire.AppendSection(b, s)
				}
			case eval.ValueNumbers:
				fs := m.list.([]float64)
				b = binary.AppendUvarint(b, uint64(len(fs)))
				for _, f := range fs {
					b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
				}
			}
		}
	}
	return b
}

// restoreMetricValues decodes the metric values section into e, whose
// watermark is restored. Values an engine without retention cannot keep
// are refused rather than dropped.
func (e *Engine) restoreMetricValues(data []byte) error {
	d := wire.NewDecoder(data, 0)
	watermark := e.plane.Watermark()
	n := 0
	if len(data) > 0 {
		n = d.Count("metric series", 5)
	}
	if n > 0 && e.opts.metricRetention.Duration <= 0 {
		return errSnap("the snapshot holds retained metric values; restore with WithMetricRetention")
	}
	str := func(what string) string { return string(d.Section(what)) }
	s := &e.metrics
	for range n {
		k := thingSeries{thing: str("thing name")}
		k.Metric, k.Dimension, k.Operator = str("metric"), str("dimension"), str("operator")
		if d.Err() != nil {
			break
		}
		if behavior.ThingNameProblem(k.thing) != "" || k.Metric == "" ||
			(k.Dimension == "") != (k.Operator == "") || (k.Operator != "" && k.Operator != "IN" && k.Operator != "NOT_IN") {
			d.Fail("metric series %q: invalid key", k.thing)
			break
		}
		if _, dup := s.series[k]; dup {
			d.Fail("metric series %q %s repeated", k.thing, k.Metric)
			break
		}
		seq := d.Uvarint()
		vs := make([]metricDatum, d.Count("metric values", 4))
		for i := range vs {
			m := &vs[i]
			m.t = d.Time("metric value time", watermark)
			m.seq = d.Uvarint()
			m.kind = eval.ValueKind(d.Byte())
			switch m.kind {
			case eval.ValueCount:
				m.n = d.Uvarint()
			case eval.ValueNumber:
				m.n = d.Uint64()
			case eval.ValuePorts:
				ps := make([]uint16, d.Count("ports", 1))
				for j := range ps {
					v := d.Uvarint()
					if v > math.MaxUint16 {
						d.Fail("port %d out of range", v)
					}
					ps[j] = uint16(v)
				}
				m.list = ps
			case eval.ValueAddrs:
				as := make([]netip.Addr, d.Count("addresses", 1))
				for j := range as {
					if err := as[j].UnmarshalBinary(d.Section("address")); err != nil && d.Err() == nil {
						d.Fail("address: %v", err)
					}
				}
				m.list = as
			case eval.ValueStrings:
				ss := make([]string, d.Count("strings", 1))
				for j := range ss {
					ss[j] = str("string")
				}
				m.list = ss
			case eval.ValueNumbers:
				fs := make([]float64, d.Count("numbers", 8))
				for j := range fs {
					fs[j] = math.Float64frombits(d.Uint64())
				}
				m.list = fs
			default:
				d.Fail("metric value kind %d", m.kind)
			}
			if d.Err() != nil {
				break
			}
			if m.seq == 0 || m.seq > seq || (i > 0 && (m.t < vs[i-1].t || m.seq <= vs[i-1].seq && m.t == vs[i-1].t)) {
				d.Fail("metric series %q %s: values out of order", k.thing, k.Metric)
				break
			}
		}
		if d.Err() != nil {
			break
		}
		if s.series == nil {
			s.series = map[thingSeries]*metricSeries{}
		}
		if vs = pruneSeries(vs, e.metricCutoff(), e.opts.metricRetention.MaxValuesPerSeries); len(vs) > 0 {
			s.series[k] = &metricSeries{vs: vs, seq: seq}
			s.keys = append(s.keys, k)
		}
	}
	if d.Err() == nil && d.Left() > 0 {
		d.Fail("%d bytes after the metric values", d.Left())
	}
	if err := d.Err(); err != nil {
		return errSnap("%v", err)
	}
	return nil
}
