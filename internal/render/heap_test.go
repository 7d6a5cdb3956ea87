package render

import (
	"fmt"
	"runtime"
	"testing"

	"dbaas.io/operator/engines"
)

// TestLiveHeapIsBounded renders and maps the status of 3,000 distinct clusters, a
// quarter per engine, and checks that the live heap does not grow from the
// 1,000th to the 3,000th (400th to 1,200th with the race detector): evaluating an input leaves nothing behind in an engine's
// CUE context, and the memo keeps no more than its budget (a small one here, full
// well before the 1,000th cluster). Kept per evaluation, the ~30 KiB that a
// context once retained would add about 60 MiB.
func TestLiveHeapIsBounded(t *testing.T) {
	clusters, warm := 3000, 1000
	if raceEnabled {
		// The memo is full after about 400 clusters; the bound holds from there on.
		clusters, warm = 1200, 400
	}
	const (
		memoBytes = 1 << 20
		// allowedGrowth is far above the noise of a heap measured after GC and far
		// below what 2,000 evaluations retaining even 2 KiB each would add.
		allowedGrowth = 4 << 20
	)
	reg, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	all := reg.Engines()
	for _, e := range all {
		e.ev.memo = newMemo(memoBytes)
	}
	live := map[int]uint64{0: liveHeap()}
	for i := range clusters {
		e := all[i%len(all)]
		in := cluster3(e.Name, fmt.Sprintf("cluster-%d", i))
		r, err := e.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		observed := map[string]map[string]any{}
		for _, o := range r.Objects {
			observed[o.Key] = o.Object.Object
		}
		if _, err := e.Status(in, observed, nil); err != nil {
			t.Fatal(err)
		}
		if n := i + 1; n == warm || n == clusters {
			live[n] = liveHeap()
		}
	}
	runtime.KeepAlive(reg)
	t.Logf("live heap: %.1f MiB at 0 clusters, %.1f MiB at %d, %.1f MiB at %d",
		mib(live[0]), mib(live[warm]), warm, mib(live[clusters]), clusters)
	if grown := int64(live[clusters]) - int64(live[warm]); grown > allowedGrowth {
		t.Errorf("the live heap grew by %.1f MiB from cluster %d to %d, want at most %.1f MiB",
			mib(uint64(grown)), warm, clusters, mib(allowedGrowth))
	}
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// cluster3 is a three-member cluster of an engine with the fields every engine
// requires.
func cluster3(engine, name string) Input {
	return Input{Cluster: map[string]any{
		"apiVersion": "dbaas.io/v1alpha1",
		"kind":       "DatabaseCluster",
		"metadata":   map[string]any{"name": name, "namespace": "ns"},
		"spec":       map[string]any{"engine": engine, "clusterSize": 3, "storage": map[string]any{"size": "1Gi"}},
	}}
}
