//go:build race

package render

// raceEnabled: the race detector slows CUE evaluation about tenfold, so tests that
// evaluate thousands of inputs evaluate fewer.
const raceEnabled = true
