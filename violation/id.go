package violation

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// IDLen is the length of a violation ID.
const IDLen = 32

// ID returns the violationId of the alarm of behavior in profile for thing
// that started at start: 32 lowercase hex characters, the
// first 16 bytes of SHA-256 over the thing name, the profile name, the
// behavior name and start in decimal Unix seconds, joined by "\n". It is
// deterministic, so that replays and restored engines agree on it.
//
// The ID is deterministic so that a replay, or a restore from a snapshot,
// names the same violation the same way; a PutVerificationState made against
// one run still applies to the next. Two alarms of the same key starting
// within the same second share an ID, and the log treats them as one
// violation. Names cannot be confused with each other: profile and behavior
// names cannot contain "\n".
func ID(thing, profile, behavior string, start time.Time) string {
	var buf [IDLen]byte
	return string(AppendID(buf[:0], thing, profile, behavior, start))
}

// AppendID appends the ID of ID to dst. It does not allocate when dst has
// room and the names total under about 200 bytes.
func AppendID(dst []byte, thing, profile, behavior string, start time.Time) []byte {
	var stack [256]byte
	b := append(stack[:0], thing...)
	b = append(b, '\n')
	b = append(b, profile...)
	b = append(b, '\n')
	b = append(b, behavior...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, start.Unix(), 10)
	sum := sha256.Sum256(b)
	return hex.AppendEncode(dst, sum[:IDLen/2])
}
