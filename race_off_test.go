//go:build !race

package ruledetect

const raceEnabled = false
