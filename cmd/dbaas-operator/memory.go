package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// defaultGCPercent is the operator's GOGC. Its heap is mostly what lives as long as
// it does (informer caches, memos); collecting when the heap grew by half rather
// than Go's default of doubling kept RSS about a third lower at 1,000 clusters for
// a few milliseconds of CPU a second (README, Scale). GOGC in the environment wins.
const defaultGCPercent = 50

func setGCPercent() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// stopHeapProfiling turns off the sampling of allocations when the profiler is not
// served: nobody can read the profile then, and its table of allocation stacks grows
// to about 5 MiB at 1,000 clusters (README, Scale).
func stopHeapProfiling(pprofAddr string) {
	if pprofAddr == "" || pprofAddr == "0" {
		runtime.MemProfileRate = 0
	}
}
