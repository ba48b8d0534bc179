//go:build !race

package peers

// raceEnabled is false without -race (see race_test.go).
const raceEnabled = false
