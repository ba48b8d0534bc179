package criteria

import (
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ruledetect/ruledetect/internal/echo"
)

// seedValue is a behavior's criteria as the reference documents write them.
type seedValue struct {
	Op    string
	Value struct {
		Count   *int64    `json:"count"`
		Number  *float64  `json:"number"`
		CIDRs   []string  `json:"cidrs"`
		Ports   []int64   `json:"ports"`
		Numbers []float64 `json:"numbers"`
		Strings []string  `json:"strings"`
	}
}

// referenceValues returns the static criteria of the devguide examples and
// the CloudFormation contract input (whose keys are capitalised; Go's JSON
// matching is case-insensitive).
func referenceValues(tb testing.TB) []seedValue {
	var out []seedValue
	var examples []struct {
		Behavior struct {
			Criteria struct {
				ComparisonOperator string
				Value              *json.RawMessage
			}
		}
	}
	readJSON(tb, "testdata/devguide-behavior-examples.json", &examples)
	for _, e := range examples {
		if e.Behavior.Criteria.Value != nil {
			var sv seedValue
			sv.Op = e.Behavior.Criteria.ComparisonOperator
			if err := json.Unmarshal(*e.Behavior.Criteria.Value, &sv.Value); err != nil {
				tb.Fatal(err)
			}
			out = append(out, sv)
		}
	}
	var cfn struct {
		Behaviors []struct {
			Criteria *struct {
				ComparisonOperator string
				Value              *json.RawMessage
			}
		}
	}
	readJSON(tb, "testdata/cfn-contract-securityprofile-inputs_1_update.json", &cfn)
	for _, b := range cfn.Behaviors {
		if b.Criteria != nil && b.Criteria.Value != nil {
			var sv seedValue
			sv.Op = b.Criteria.ComparisonOperator
			if err := json.Unmarshal(*b.Criteria.Value, &sv.Value); err != nil {
				tb.Fatal(err)
			}
			out = append(out, sv)
		}
	}
	if len(out) < 10 {
		tb.Fatalf("only %d reference values", len(out))
	}
	return out
}

func readJSON(tb testing.TB, path string, v any) {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

func FuzzParseCIDR(f *testing.F) {
	for _, sv := range referenceValues(f) {
		for _, c := range sv.Value.CIDRs {
			f.Add(c)
		}
	}
	for _, s := range []string{"192.168.100.14/24", "203.0.113.9", "2001:db8::1/32", "::ffff:10.1.2.3/104",
		"::ffff:0:0/95", "0.0.0.0/0", "::/0", "fe80::1%eth0", "10.0.0.0/33", "1.2.3.4/-1", "::ffff:1.2.3.4/128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCIDR(s)
		want, ok := netipReading(s)
		if !ok {
			if err == nil {
				t.Fatalf("ParseCIDR(%q) = %v, netip rejects it", s, p)
			}
			// The input as every error echoes it: quoted, and cut past 128 bytes.
			if !errors.Is(err, ErrInvalidCIDR) || !strings.Contains(err.Error(), echo.Quote(s)) {
				t.Fatalf("ParseCIDR(%q) error %v: want ErrInvalidCIDR naming the input", s, err)
			}
			return
		}
		if err != nil || p != want {
			t.Fatalf("ParseCIDR(%q) = %v, %v; want %v", s, p, err, want)
		}
		if p != p.Masked() {
			t.Fatalf("ParseCIDR(%q) = %v is not masked", s, p)
		}
	})
}

// netipReading is ParseCIDR's contract restated with netip directly.
func netipReading(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, true
}

// FuzzCIDRSet reads prefixes and probes from bytes and checks CIDRSet
// against the linear scan. Layout: one byte N (prefix count), N prefixes,
// then probes; each element is one header byte h and 4 (h even, IPv4) or 16
// (h odd, IPv6) address bytes; a prefix's length is h/2.
func FuzzCIDRSet(f *testing.F) {
	var seed []byte
	refs := referenceValues(f)
	for _, sv := range refs {
		for _, c := range sv.Value.CIDRs {
			if p, err := ParseCIDR(c); err == nil {
				seed = appendElem(seed, p.Addr(), p.Bits())
			}
		}
	}
	seed = append([]byte{byte(len(seed) / 5)}, seed...)
	for _, a := range []string{"12.8.3.4", "15.102.16.255", "15.102.17.0", "192.168.100.200", "::ffff:12.8.0.0"} {
		seed = appendElem(seed, netip.MustParseAddr(a), 0)
	}
	f.Add(seed)
	f.Add(appendElem(appendElem([]byte{1}, netip.MustParseAddr("2001:db8::"), 32), netip.MustParseAddr("2001:db8::1"), 0))
	f.Add(appendElem(appendElem([]byte{1}, netip.MustParseAddr("::ffff:10.0.0.0"), 104), netip.MustParseAddr("10.9.9.9"), 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		n := int(data[0])
		elems := readElems(data[1:])
		ps := make([]netip.Prefix, 0, n)
		for _, e := range elems[:min(n, len(elems))] {
			ps = append(ps, netip.PrefixFrom(e.addr, e.bits))
		}
		s := NewCIDRSet(ps)
		probes := elems[min(n, len(elems)):]
		for _, e := range probes {
			if got, want := s.Contains(e.addr), refContains(ps, e.addr); got != want {
				t.Fatalf("Contains(%v) = %v, linear scan says %v; prefixes %v", e.addr, got, want, ps)
			}
		}
		for _, p := range ps { // every prefix's own address is in the set
			// except an IPv4-mapped address under a short IPv6 prefix: the
			// address is looked up as IPv4, and an IPv6 prefix shorter than
			// 96 bits covers no IPv4 address (see CIDRSet).
			if p.Addr().Is4In6() && p.Bits() < 96 {
				continue
			}
			if p.IsValid() && !s.Contains(p.Addr()) {
				t.Fatalf("Contains(%v) = false for a member prefix %v", p.Addr(), p)
			}
		}
	})
}

type fuzzElem struct {
	addr netip.Addr
	bits int
}

func readElems(b []byte) []fuzzElem {
	var out []fuzzElem
	for len(b) > 0 {
		h := b[0]
		size := 4
		if h&1 == 1 {
			size = 16
		}
		if len(b) < 1+size {
			break
		}
		a, _ := netip.AddrFromSlice(b[1 : 1+size])
		out = append(out, fuzzElem{a, int(h>>1) % (8*size + 1)})
		b = b[1+size:]
	}
	return out
}

func appendElem(b []byte, a netip.Addr, bits int) []byte {
	h := byte(bits << 1)
	if !a.Is4() {
		h |= 1
	}
	return append(append(b, h), a.AsSlice()...)
}

// FuzzCompile feeds Compile arbitrary operators and values built from a
// comma-separated list, then judges one-element datapoints made from the
// same list: nothing may panic, errors must be typed, and membership must
// agree with the list.
func FuzzCompile(f *testing.F) {
	for _, sv := range referenceValues(f) {
		op, err := ParseOperator(sv.Op)
		if err != nil {
			f.Fatal(err)
		}
		var mask uint8
		var list []string
		var count int64
		var number float64
		v := sv.Value
		if v.Count != nil {
			mask, count = mask|1, *v.Count
		}
		if v.Number != nil {
			mask, number = mask|2, *v.Number
		}
		for bit, l := range [][]string{v.CIDRs, i64s(v.Ports), f64s(v.Numbers), v.Strings} {
			if l != nil {
				mask |= 4 << bit
				list = l
			}
		}
		f.Add(uint8(op), mask, count, number, strings.Join(list, ","))
	}
	f.Add(uint8(InPortSet), uint8(8), int64(0), 0.0, "1,2,70000")
	f.Add(uint8(InSet), uint8(16|32), int64(0), 0.0, "a,b")
	f.Fuzz(func(t *testing.T, op, mask uint8, count int64, number float64, list string) {
		elems := strings.Split(list, ",")
		var v Value
		if mask&1 != 0 {
			v.Count = &count
		}
		if mask&2 != 0 {
			v.Number = &number
		}
		if mask&4 != 0 {
			v.CIDRs = elems
		}
		if mask&8 != 0 {
			v.Ports = parseInts(elems)
		}
		if mask&16 != 0 {
			v.Numbers = parseFloats(elems)
		}
		if mask&32 != 0 {
			v.Strings = elems
		}
		c, err := Compile(Operator(op), v)
		if err != nil {
			var e *Error
			if c != nil || !errors.As(err, &e) || !errors.Is(err, ErrInvalidValue) || !strings.HasPrefix(err.Error(), e.Field) {
				t.Fatalf("Compile(%v, %+v) = %v, %v: want nil and a typed error", Operator(op), v, c, err)
			}
			return
		}
		checkCompiled(t, c, v, elems)
	})
}

func i64s(xs []int64) []string {
	if xs == nil {
		return nil
	}
	out := []string{}
	for _, x := range xs {
		out = append(out, strconv.FormatInt(x, 10))
	}
	return out
}

func f64s(xs []float64) []string {
	if xs == nil {
		return nil
	}
	out := []string{}
	for _, x := range xs {
		out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
	}
	return out
}

func parseInts(ss []string) []int64 {
	out := make([]int64, len(ss))
	for i, s := range ss {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			n = int64(len(s)) * 1000
		}
		out[i] = n
	}
	return out
}

func parseFloats(ss []string) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			x = float64(len(s))
		}
		out[i] = x
	}
	return out
}

// checkCompiled judges each element of the value as a one-element datapoint:
// it is in the set, so in-* must be compliant and not-in-* must not be.
func checkCompiled(t *testing.T, c *Criterion, v Value, elems []string) {
	allow := !c.Operator().IsNegated()
	switch c.Kind() {
	case KindNumber:
		thr, _ := c.Threshold()
		eq := c.CompliantNumber(thr)
		if want := c.Operator() == LessThanEquals || c.Operator() == GreaterThanEquals; eq != want {
			t.Fatalf("%v: threshold vs itself = %v", c.Operator(), eq)
		}
	case KindPorts:
		for _, p := range v.Ports {
			if c.CompliantPorts([]uint16{uint16(p)}) != allow {
				t.Fatalf("%v: port %d of the set misjudged", c.Operator(), p)
			}
		}
	case KindAddrs:
		for _, s := range v.CIDRs {
			p, _ := ParseCIDR(s)
			if c.CompliantAddrs([]netip.Addr{p.Addr()}) != allow {
				t.Fatalf("%v: address of %s misjudged", c.Operator(), s)
			}
		}
	case KindStrings:
		for _, s := range elems {
			if c.CompliantStrings([]string{s}) != allow {
				t.Fatalf("%v: string %q misjudged", c.Operator(), s)
			}
		}
		if !slices.Contains(elems, "\x00none") && c.CompliantStrings([]string{"\x00none"}) == allow {
			t.Fatalf("%v: a non-member judged as member", c.Operator())
		}
	case KindNumbers:
		for _, x := range v.Numbers {
			if c.CompliantNumbers([]float64{x}) != allow {
				t.Fatalf("%v: number %v misjudged", c.Operator(), x)
			}
		}
		if c.CompliantNumbers([]float64{math.NaN()}) == allow {
			t.Fatalf("%v: NaN judged a member", c.Operator())
		}
	default:
		t.Fatalf("compiled to kind %v", c.Kind())
	}
}
