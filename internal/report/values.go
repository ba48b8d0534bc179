package report

import (
	"math"
	"net/netip"
	"strconv"
	"unicode/utf8"
)

// The value rules for custom metrics are those of the AWS device SDK
// documentation ("Device Defender Data Requirements", aws-iot-device-sdk-cpp-v2):
// values that break them are not rejected but "Device Defender will not
// show/retain the data", so the decoder drops the metric's value and records
// why in Report.Dropped.

// maxDigits is the precision AWS retains for number and number-list values.
const maxDigits = 15

// numberRule returns why a number breaks the number rules, or "" if it does
// not: it must be finite and have at most 15 significant digits, counted by
// significantDigits in the number's text (digits is that count).
func numberRule(f float64, digits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "not a finite number"
	}
	if digits > maxDigits {
		return "more than 15 significant digits"
	}
	return ""
}

// significantDigits counts the significant digits of a number's decimal
// text, as the precision of a decimal (Java's BigDecimal.precision, the
// service's own language) counts them: every digit of the mantissa from the
// first non-zero one on, trailing zeros included, the sign, the decimal point
// and the exponent not. 9223372036854775807 has 19, 10000000000000000000000
// has 23, 0.00123 has 3, 1.50 has 3, 1e300 has 1, and zero has 1.
//
// Every report number is judged on a text: a JSON number on its literal; a
// CBOR integer on its decimal form and a CBOR float, which has no text, on
// the shortest decimal that reads back as the same float (what a device's
// printf("%.15g") would have sent). Counting the text rather than the
// parsed double is what makes an integer above 2^53 count all its digits.
func significantDigits(text []byte) int {
	n, leading := 0, true
	for _, c := range text {
		switch {
		case c == 'e' || c == 'E':
			return max(n, 1)
		case c == '0' && leading:
		case c >= '0' && c <= '9':
			leading = false
			n++
		}
	}
	return max(n, 1)
}

// uintDigits is significantDigits of the decimal form of v.
func uintDigits(v uint64) int {
	var buf [20]byte
	return significantDigits(strconv.AppendUint(buf[:0], v, 10))
}

// floatDigits is significantDigits of the shortest decimal form of f.
func floatDigits(f float64) int {
	var buf [32]byte
	return significantDigits(strconv.AppendFloat(buf[:0], f, 'e', -1, 64))
}

// stringRule returns why s breaks the string-list rule, or "".
//
// The documented set is letters A–Z a–z and ':' '_' '-' '/' '.'. Digits are
// allowed too although the sentence does not list them: AWS's own examples
// send "value_1" (developer guide) and "15807620kB" (embedded-C demo), and a
// rule that dropped interface names like "eth0" would drop nearly every real
// string list.
func stringRule(s []byte) string {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ':', c == '_', c == '-', c == '/', c == '.':
		default:
			r, _ := utf8.DecodeRune(s[i:]) // name the character, not its first byte
			return "character " + strconv.QuoteRune(r) + " outside A-Z a-z 0-9 : _ - / ."
		}
	}
	return ""
}

// parseIP parses an ip_list element: a plain IPv4 or IPv6 address, no zone,
// no port, no prefix length.
func parseIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// parseRemoteAddr returns the IP of a remote_addr: "ip:port" (the
// specification), "[ipv6]:port" (what the Python agent writes for IPv6) or,
// leniently, a bare IP. A zone is stripped so the address can match CIDRs.
// A bare IPv6 address followed by ":port" without brackets is ambiguous and
// is read as an address, as netip does.
func parseRemoteAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone(""), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone(""), true
	}
	return netip.Addr{}, false
}

// validVersion reports whether v is "Major.Minor", each one to nine digits.
func validVersion(v []byte) bool {
	dot := -1
	for i, c := range v {
		if c == '.' && dot < 0 {
			dot = i
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return dot >= 1 && dot <= 9 && len(v)-dot-1 >= 1 && len(v)-dot-1 <= 9
}
