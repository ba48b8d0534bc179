//go:build race

package peers

// raceEnabled is true under -race, where the cold benchmarks' input checks
// (million-entry tables) would take many minutes; CI runs this module's
// tests with -race, and the benchmarks check every answer themselves.
const raceEnabled = true
