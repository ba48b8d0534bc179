//go:build race

package sketch

// raceEnabled makes the largest tests smaller under the race detector,
// which slows the sketch's loops about tenfold.
const raceEnabled = true
