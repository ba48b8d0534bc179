package peers

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/criteria"
)

// A whole 10-behavior profile judged against one datapoint set, side by side
// with expr, the usual Go choice for "rules as configuration", and CEL
// (profile_eval_cel_test.go). ruledetect
// uses its compiled criteria (criteria.Compile once, Compliant* per
// datapoint); expr compiles every behavior to a program once (with the
// typed env, so it can specialize) and runs the ten programs per set. Both
// return a bit mask of the violated behaviors.

// evalSet is one datapoint per behavior, in each implementation's natural
// representation (ports as uint16 for ruledetect, int for expr).
type evalSet struct {
	msgs, bytes, conns int64
	cpu                float64
	tcp, udp           []uint16
	dest, src          []netip.Addr
	ifaces             []string
	levels             []float64
}

// exprEnv is expr's environment: the datapoints, and the CIDR sets as
// netip.Prefix values (expr has no CIDR type).
type exprEnv struct {
	Msgs        int64          `expr:"msgs"`
	Bytes       int64          `expr:"bytes"`
	Conns       int64          `expr:"conns"`
	CPU         float64        `expr:"cpu"`
	TCP         []int          `expr:"tcp"`
	UDP         []int          `expr:"udp"`
	Dest        []netip.Addr   `expr:"dest"`
	Src         []netip.Addr   `expr:"src"`
	Ifaces      []string       `expr:"ifaces"`
	Levels      []float64      `expr:"levels"`
	AllowedNets []netip.Prefix `expr:"allowedNets"`
	BlockedNets []netip.Prefix `expr:"blockedNets"`
}

var (
	allowedNets = []string{"10.0.0.0/8", "52.94.0.0/16", "2600:1f18::/32"}
	blockedNets = []string{"203.0.113.0/24", "198.51.100.0/24", "2001:db8:bad::/48"}
)

// profileBehaviors is the profile: the criterion for ruledetect and the
// equivalent expr program text (the expression says "compliant").
var profileBehaviors = []struct {
	op   criteria.Operator
	v    criteria.Value
	expr string
}{
	{criteria.LessThan, criteria.Value{Count: ptr(int64(100))}, `msgs < 100`},
	{criteria.GreaterThan, criteria.Value{Count: ptr(int64(10))}, `bytes > 10`},
	{criteria.LessThanEquals, criteria.Value{Count: ptr(int64(16))}, `conns <= 16`},
	{criteria.LessThan, criteria.Value{Number: ptr(90.5)}, `cpu < 90.5`},
	{criteria.InPortSet, criteria.Value{Ports: []int64{22, 80, 443, 554, 1883, 8080, 8883}},
		`all(tcp, {# in [22, 80, 443, 554, 1883, 8080, 8883]})`},
	{criteria.NotInPortSet, criteria.Value{Ports: []int64{23, 69, 161, 1900}},
		`none(udp, {# in [23, 69, 161, 1900]})`},
	{criteria.InCIDRSet, criteria.Value{CIDRs: allowedNets},
		`all(dest, {let a = #; any(allowedNets, {#.Contains(a)})})`},
	{criteria.NotInCIDRSet, criteria.Value{CIDRs: blockedNets},
		`none(src, {let a = #; any(blockedNets, {#.Contains(a)})})`},
	{criteria.InSet, criteria.Value{Strings: []string{"eth0", "wlan0", "lo", "usb0"}},
		`all(ifaces, {# in ["eth0", "wlan0", "lo", "usb0"]})`},
	{criteria.InSet, criteria.Value{Numbers: []float64{1, 2, 3, 5, 8}},
		`all(levels, {# in [1.0, 2.0, 3.0, 5.0, 8.0]})`},
}

func ptr[T any](v T) *T { return &v }

func prefixes(cidrs []string) []netip.Prefix {
	ps := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		ps[i] = netip.MustParsePrefix(c)
	}
	return ps
}

// ruledetectProfile is the compiled profile.
type ruledetectProfile [10]*criteria.Criterion

func compileRuledetect(tb testing.TB) *ruledetectProfile {
	var p ruledetectProfile
	for i, b := range profileBehaviors {
		c, err := criteria.Compile(b.op, b.v)
		require.NoError(tb, err, b.expr)
		p[i] = c
	}
	return &p
}

// eval returns the mask of violated behaviors.
func (p *ruledetectProfile) eval(s *evalSet) uint16 {
	ok := [10]bool{
		p[0].CompliantNumber(criteria.Int(s.msgs)),
		p[1].CompliantNumber(criteria.Int(s.bytes)),
		p[2].CompliantNumber(criteria.Int(s.conns)),
		p[3].CompliantNumber(criteria.Float(s.cpu)),
		p[4].CompliantPorts(s.tcp),
		p[5].CompliantPorts(s.udp),
		p[6].CompliantAddrs(s.dest),
		p[7].CompliantAddrs(s.src),
		p[8].CompliantStrings(s.ifaces),
		p[9].CompliantNumbers(s.levels),
	}
	var mask uint16
	for i, c := range ok {
		if !c {
			mask |= 1 << i
		}
	}
	return mask
}

type exprProfile struct {
	progs [10]*vm.Program
	vm    vm.VM
}

func compileExpr(tb testing.TB) *exprProfile {
	var p exprProfile
	for i, b := range profileBehaviors {
		prog, err := expr.Compile(b.expr, expr.Env(exprEnv{}), expr.AsBool())
		require.NoError(tb, err, b.expr)
		p.progs[i] = prog
	}
	return &p
}

// eval runs the ten programs on env with a reused VM.
func (p *exprProfile) eval(tb testing.TB, env *exprEnv) uint16 {
	var mask uint16
	for i, prog := range p.progs {
		out, err := p.vm.Run(prog, env)
		if err != nil {
			tb.Fatal(err)
		}
		if !out.(bool) {
			mask |= 1 << i
		}
	}
	return mask
}

func toEnv(s *evalSet) *exprEnv {
	ints := func(ps []uint16) []int {
		out := make([]int, len(ps))
		for i, p := range ps {
			out[i] = int(p)
		}
		return out
	}
	return &exprEnv{
		Msgs: s.msgs, Bytes: s.bytes, Conns: s.conns, CPU: s.cpu,
		TCP: ints(s.tcp), UDP: ints(s.udp), Dest: s.dest, Src: s.src, Ifaces: s.ifaces, Levels: s.levels,
		AllowedNets: prefixes(allowedNets), BlockedNets: prefixes(blockedNets),
	}
}

// randomSet draws a datapoint set near the profile's edges: every behavior
// is violated in a fair share of the sets.
func randomSet(r *rand.Rand) *evalSet {
	pick := func(n int, pool func() any) []any {
		out := make([]any, r.IntN(n+1))
		for i := range out {
			out[i] = pool()
		}
		return out
	}
	portPool := []uint16{22, 80, 443, 554, 1883, 8080, 8883, 23, 69, 161, 1900, 5353, 4444, 123}
	addrPool := []string{"10.1.2.3", "10.255.0.1", "52.94.7.8", "2600:1f18::1", "203.0.113.9", "198.51.100.200",
		"192.0.2.1", "2001:db8:bad::5", "2001:db8::1", "11.0.0.1", "52.95.0.1", "::1"}
	ifPool := []string{"eth0", "wlan0", "lo", "usb0", "tun0", "ppp0"}
	numPool := []float64{1, 2, 3, 5, 8, 4, 0, 13, 2.5}
	s := &evalSet{
		msgs: int64(80 + r.IntN(40)), bytes: int64(r.IntN(20)), conns: int64(10 + r.IntN(10)), cpu: 80 + r.Float64()*15,
	}
	for _, v := range pick(4, func() any { return portPool[r.IntN(len(portPool))] }) {
		s.tcp = append(s.tcp, v.(uint16))
	}
	for _, v := range pick(4, func() any { return portPool[r.IntN(len(portPool))] }) {
		s.udp = append(s.udp, v.(uint16))
	}
	for _, v := range pick(4, func() any { return netip.MustParseAddr(addrPool[r.IntN(len(addrPool))]) }) {
		s.dest = append(s.dest, v.(netip.Addr))
	}
	for _, v := range pick(3, func() any { return netip.MustParseAddr(addrPool[r.IntN(len(addrPool))]) }) {
		s.src = append(s.src, v.(netip.Addr))
	}
	for _, v := range pick(3, func() any { return ifPool[r.IntN(len(ifPool))] }) {
		s.ifaces = append(s.ifaces, v.(string))
	}
	for _, v := range pick(3, func() any { return numPool[r.IntN(len(numPool))] }) {
		s.levels = append(s.levels, v.(float64))
	}
	return s
}

// typicalSet is the benchmark's datapoint set: a normal camera (every
// behavior compliant, so every list is walked to its end).
func typicalSet() *evalSet {
	addrs := func(ss ...string) []netip.Addr {
		out := make([]netip.Addr, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParseAddr(s)
		}
		return out
	}
	return &evalSet{
		msgs: 42, bytes: 1200, conns: 3, cpu: 37.5,
		tcp: []uint16{80, 443, 554}, udp: []uint16{5353, 3702},
		dest:   addrs("10.20.3.4", "52.94.212.197", "2600:1f18:1::5"),
		src:    addrs("100.64.1.2"),
		ifaces: []string{"eth0", "wlan0"},
		levels: []float64{1, 3},
	}
}

func TestProfileEvalAgrees(t *testing.T) {
	rd, ex, ce := compileRuledetect(t), compileExpr(t), compileCEL(t)
	r := rand.New(rand.NewPCG(7, 8))
	var violated [10]int
	for i := range 500 {
		s := randomSet(r)
		want, got := ex.eval(t, toEnv(s)), rd.eval(s)
		require.Equal(t, fmt.Sprintf("%010b", want), fmt.Sprintf("%010b", got), "set %d: %+v", i, s)
		require.Equal(t, fmt.Sprintf("%010b", want), fmt.Sprintf("%010b", ce.eval(t, celActivation(t, s))), "cel, set %d: %+v", i, s)
		for b := range violated {
			if got&(1<<b) != 0 {
				violated[b]++
			}
		}
	}
	for b, n := range violated {
		require.Greater(t, n, 10, "behavior %d (%s) is violated in too few sets to test it", b, profileBehaviors[b].expr)
		require.Less(t, n, 490, "behavior %d (%s) is violated in too many sets to test it", b, profileBehaviors[b].expr)
	}
	require.Zero(t, rd.eval(typicalSet()))
	require.Zero(t, ex.eval(t, toEnv(typicalSet())))
	require.Zero(t, ce.eval(t, celActivation(t, typicalSet())))
}

// BenchmarkProfileEval judges the typical set against the whole profile.
//
//	cd bench/peers && go test -run '^$' -bench ProfileEval -benchmem -count=5 | tee eval.txt
func BenchmarkProfileEval(b *testing.B) {
	s := typicalSet()
	b.Run("impl=ruledetect", func(b *testing.B) {
		p := compileRuledetect(b)
		b.ReportAllocs()
		for b.Loop() {
			if p.eval(s) != 0 {
				b.Fatal("violation")
			}
		}
	})
	b.Run("impl=expr", func(b *testing.B) {
		p := compileExpr(b)
		env := toEnv(s)
		b.ReportAllocs()
		for b.Loop() {
			if p.eval(b, env) != 0 {
				b.Fatal("violation")
			}
		}
	})
	b.Run("impl=cel", func(b *testing.B) {
		p := compileCEL(b)
		act := celActivation(b, s)
		b.ReportAllocs()
		for b.Loop() {
			if p.eval(b, act) != 0 {
				b.Fatal("violation")
			}
		}
	})
}
