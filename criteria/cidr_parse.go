package criteria

import (
	"errors"
	"fmt"
	"github.com/ruledetect/ruledetect/internal/echo"
	"net/netip"
)

// ErrInvalidCIDR reports a value.cidrs element that is not a CIDR.
var ErrInvalidCIDR = errors.New("invalid CIDR")

// ParseCIDR parses one element of a behavior's value.cidrs as the service
// accepts it: an IPv4 or IPv6 prefix ("10.0.0.0/8", "2001:db8::/32"), host bits
// allowed and masked off ("192.168.100.14/24" is 192.168.100.0/24, as AWS's
// own CloudFormation contract test sends it), or a bare address, taken as a
// single-host prefix (D: AWS's Cidr pattern admits it and documents nothing
// else). Zones are rejected: a set of networks has no interface.
//
// An IPv4-mapped IPv6 prefix of length 96 or more (::ffff:10.0.0.0/104) is
// returned as the IPv4 prefix it maps (10.0.0.0/8), because datapoint
// addresses are unmapped before they are compared. Shorter
// prefixes stay IPv6.
func ParseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, fmt.Errorf("%w %s: want ADDRESS/BITS or an address", ErrInvalidCIDR, echo.Quote(s))
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%w %s: zones are not allowed", ErrInvalidCIDR, echo.Quote(s))
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, nil
}
