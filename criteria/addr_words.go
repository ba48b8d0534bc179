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

// netip.Addr must be the 16-byte address and a pointer-sized zone handle:
// 24 bytes on 64-bit platforms, 20 on 32-bit ones (an ARMv7 gateway).
const addrSize = 16 + unsafe.Sizeof(uintptr(0))

var (
	_ [unsafe.Sizeof(netip.Addr{}) - addrSize]byte
	_ [addrSize - unsafe.Sizeof(netip.Addr{})]byte
)
