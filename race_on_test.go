//go:build race

package ruledetect

// raceEnabled skips allocation counts under the race detector, whose
// sync.Pool drops pooled values at random (to find misuse) and so allocates.
const raceEnabled = true
