//go:build race

package main

// raceEnabled reports a build with the race detector, under which the
// full-size demo runs too slowly for a test.
const raceEnabled = true
