package violation

import (
	"fmt"
)

// MaxConsecutive is the largest consecutiveDatapointsToAlarm and
// consecutiveDatapointsToClear the service accepts.
const MaxConsecutive = 10

// Transition is what one datapoint did to a Streak, and so what the caller
// must do with the log. Every (state, verdict) pair has its own value, so the
// caller's switch documents the whole machine.
type Transition uint8

const (
	// None: normal and compliant; nothing to record.
	None Transition = iota
	// Pending: normal and violating, but fewer than consecutiveDatapointsToAlarm
	// violations in a row so far; nothing to record yet.
	Pending
	// Alarm: the violation that completes the streak; raise in-alarm
	// (Log.Raise) with this datapoint's value and time.
	Alarm
	// StillViolating: in alarm and violating; update the active violation's
	// lastViolationValue and lastViolationTime (Log.Violate). The clear count
	// starts over.
	StillViolating
	// Recovering: in alarm and compliant, but fewer than
	// consecutiveDatapointsToClear compliant datapoints in a row so far;
	// nothing to record yet.
	Recovering
	// Clear: the compliant datapoint that completes the clear streak; raise
	// alarm-cleared (Log.Clear) with this datapoint's value and time.
	Clear
)

var transitionNames = [...]string{"None", "Pending", "Alarm", "StillViolating", "Recovering", "Clear"}

// String returns the constant's name.
func (t Transition) String() string {
	if int(t) < len(transitionNames) {
		return transitionNames[t]
	}
	return fmt.Sprintf("Transition(%d)", uint8(t))
}

// Streak is the alarm state of one (thing, profile, behavior): whether it is
// in alarm, and how many datapoints in a row have pushed it towards the other
// state. It is one byte, usable from its zero value (normal, no streak), and
// meant to be embedded by value in the engine's per-thing state, of which
// there are millions.
//
// The machine, as the service's alarm and clear rules describe it:
//
//	NORMAL:   a violation counts; a compliant datapoint resets the count;
//	          the toAlarm-th violation in a row → IN ALARM (Alarm).
//	IN ALARM: a compliant datapoint counts; a violation resets the count
//	          (StillViolating); the toClear-th compliant in a row → NORMAL (Clear).
//
// Missing data is no call: absence neither counts nor resets. Like the "for"
// state of a Prometheus alerting rule, the state survives a restart: save it
// with MarshalBinary or AppendBinary and load it with UnmarshalBinary.
type Streak struct {
	// b packs the state so the value stays one byte: bit 7 is "in alarm",
	// bits 0..3 the count (at most MaxConsecutive-1, because reaching the
	// threshold transitions and resets it). Other bits are always zero.
	b uint8
}

const (
	alarmBit  = 0x80
	countMask = 0x0f
)

// Observe feeds the verdict of one datapoint and returns the transition.
// toAlarm and toClear are the behavior's consecutiveDatapointsToAlarm and
// consecutiveDatapointsToClear, defaults already applied by the caller; they
// may differ from call to call (a profile update), and the count is compared
// with the current value. Values below 1 act as 1 and values above
// MaxConsecutive as MaxConsecutive, so no input can overflow the count.
func (s *Streak) Observe(violating bool, toAlarm, toClear int) Transition {
	n := int(s.b&countMask) + 1
	if s.b&alarmBit == 0 {
		if !violating {
			s.b = 0
			return None
		}
		if n >= min(toAlarm, MaxConsecutive) {
			s.b = alarmBit
			return Alarm
		}
		s.b = uint8(n)
		return Pending
	}
	if violating {
		s.b = alarmBit
		return StillViolating
	}
	if n >= min(toClear, MaxConsecutive) {
		s.b = 0
		return Clear
	}
	s.b = alarmBit | uint8(n)
	return Recovering
}

// InAlarm reports whether the streak has raised an alarm that has not yet
// cleared. The engine uses it to find the alarms to invalidate.
func (s Streak) InAlarm() bool { return s.b&alarmBit != 0 }

// Count returns the current run: consecutive violations while normal,
// consecutive compliant datapoints while in alarm.
func (s Streak) Count() int { return int(s.b & countMask) }

// Reset returns the streak to normal with no run, as after alarm-invalidated
// or when the behavior it tracks changes.
func (s *Streak) Reset() { s.b = 0 }

// AppendBinary appends the streak's one-byte state to b. It never fails; the
// error is there for encoding.BinaryAppender.
func (s Streak) AppendBinary(b []byte) ([]byte, error) { return append(b, s.b), nil }

// MarshalBinary returns the streak's one-byte state.
func (s Streak) MarshalBinary() ([]byte, error) { return []byte{s.b}, nil }

// UnmarshalBinary restores a state written by MarshalBinary or AppendBinary.
// Anything else (another length, unknown bits, a count no streak can reach)
// fails with ErrInvalidSnapshot and leaves s unchanged.
func (s *Streak) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return fmt.Errorf("violation: streak state of %d bytes, want 1: %w", len(b), ErrInvalidSnapshot)
	}
	if b[0]&^(alarmBit|countMask) != 0 || int(b[0]&countMask) >= MaxConsecutive {
		return fmt.Errorf("violation: streak state %#02x: %w", b[0], ErrInvalidSnapshot)
	}
	s.b = b[0]
	return nil
}
