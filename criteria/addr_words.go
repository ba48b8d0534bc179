package criteria

import (
	"net/netip"
	"unsafe"
)

// addrWords returns a's 128 bits as two big-endian words (an IPv4 address as
// ::ffff:a.b.c.d), the form CIDRSet compares.
//
// Why unsafe: the only exported route, As16, makes the compiler store the
// two words to the stack and reload them as one 16-byte value, a
// store-forwarding stall that measured 11 ns against 1.6 ns for reading the
// words in place, more than a whole IPv6 lookup. netip.Addr has begun with
// its address as a {hi, lo uint64} pair since Go 1.18; the size checks below
// break the build if the type changes shape, and TestAddrWords compares with
// As16 on every family and zone.
func addrWords(a *netip.Addr) (hi, lo uint64) {
	w := (*[2]uint64)(unsafe.Pointer(a))
	return w[0], w[1]
}

// netip.Addr must be 24 bytes: the 16-byte address and an 8-byte zone handle.
var (
	_ [unsafe.Sizeof(netip.Addr{}) - 24]byte
	_ [24 - unsafe.Sizeof(netip.Addr{})]byte
)
