package main

import (
	"slices"
	"time"
)

// percentiles returns the 50th and 99th percentiles (nearest rank) of d.
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := slices.Sorted(slices.Values(d))
	rank := func(p int) time.Duration { return s[max(0, (len(s)*p+99)/100-1)] }
	return rank(50), rank(99)
}

// ms is d in milliseconds, to a microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// growth is the change from before to after in percent.
func growth(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	return (after - before) / before * 100
}
