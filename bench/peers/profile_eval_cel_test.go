package peers

import (
	"net/netip"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"github.com/stretchr/testify/require"
)

// The same 10-behavior profile in CEL (google/cel-go, published as
// cel.dev/cel-go), the policy language of Kubernetes admission and Google
// Cloud IAM. Like expr it compiles every behavior to a program once, against
// typed variables, and runs the ten programs per set; the CIDR sets use
// cel-go's network extension (Kubernetes' ip/cidr library), and the
// programs are planned with cel.OptOptimize, which folds constants and turns
// `x in [constant list]` into a set lookup. The datapoints are converted to
// CEL values once per set, outside the timed loop, as expr's env is.

var celBehaviors = [10]string{
	`msgs < 100`,
	`bytes > 10`,
	`conns <= 16`,
	`cpu < 90.5`,
	`tcp.all(p, p in [22, 80, 443, 554, 1883, 8080, 8883])`,
	`udp.all(p, !(p in [23, 69, 161, 1900]))`,
	`dest.all(a, allowedNets.exists(n, n.containsIP(a)))`,
	`src.all(a, !blockedNets.exists(n, n.containsIP(a)))`,
	`ifaces.all(i, i in ['eth0', 'wlan0', 'lo', 'usb0'])`,
	`levels.all(l, l in [1.0, 2.0, 3.0, 5.0, 8.0])`,
}

type celProfile [10]cel.Program

func compileCEL(tb testing.TB) *celProfile {
	env, err := cel.NewEnv(
		ext.Network(),
		cel.Variable("msgs", cel.IntType),
		cel.Variable("bytes", cel.IntType),
		cel.Variable("conns", cel.IntType),
		cel.Variable("cpu", cel.DoubleType),
		cel.Variable("tcp", cel.ListType(cel.IntType)),
		cel.Variable("udp", cel.ListType(cel.IntType)),
		cel.Variable("dest", cel.ListType(ext.IPType)),
		cel.Variable("src", cel.ListType(ext.IPType)),
		cel.Variable("ifaces", cel.ListType(cel.StringType)),
		cel.Variable("levels", cel.ListType(cel.DoubleType)),
		cel.Variable("allowedNets", cel.ListType(ext.CIDRType)),
		cel.Variable("blockedNets", cel.ListType(ext.CIDRType)),
	)
	require.NoError(tb, err)
	var p celProfile
	for i, src := range celBehaviors {
		ast, iss := env.Compile(src)
		require.NoError(tb, iss.Err(), src)
		require.Equal(tb, cel.BoolType, ast.OutputType(), src)
		p[i], err = env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		require.NoError(tb, err, src)
	}
	return &p
}

// celActivation is the set as CEL values.
func celActivation(tb testing.TB, s *evalSet) cel.Activation {
	list := func(n int, at func(i int) ref.Val) ref.Val {
		vs := make([]ref.Val, n)
		for i := range vs {
			vs[i] = at(i)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, vs)
	}
	ports := func(ps []uint16) ref.Val {
		return list(len(ps), func(i int) ref.Val { return types.Int(ps[i]) })
	}
	addrs := func(as []netip.Addr) ref.Val {
		return list(len(as), func(i int) ref.Val { return ext.IP{Addr: as[i]} })
	}
	nets := func(cidrs []string) ref.Val {
		ps := prefixes(cidrs)
		return list(len(ps), func(i int) ref.Val { return ext.CIDR{Prefix: ps[i]} })
	}
	act, err := cel.NewActivation(map[string]any{
		"msgs": types.Int(s.msgs), "bytes": types.Int(s.bytes), "conns": types.Int(s.conns), "cpu": types.Double(s.cpu),
		"tcp": ports(s.tcp), "udp": ports(s.udp), "dest": addrs(s.dest), "src": addrs(s.src),
		"ifaces":      list(len(s.ifaces), func(i int) ref.Val { return types.String(s.ifaces[i]) }),
		"levels":      list(len(s.levels), func(i int) ref.Val { return types.Double(s.levels[i]) }),
		"allowedNets": nets(allowedNets), "blockedNets": nets(blockedNets),
	})
	require.NoError(tb, err)
	return act
}

// eval runs the ten programs and returns the mask of violated behaviors.
func (p *celProfile) eval(tb testing.TB, act cel.Activation) uint16 {
	var mask uint16
	for i, prg := range p {
		out, _, err := prg.Eval(act)
		if err != nil {
			tb.Fatal(celBehaviors[i], err)
		}
		if out != types.True {
			mask |= 1 << i
		}
	}
	return mask
}
