package simulate

import (
	"runtime"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestStatusKeepsNothing simulates the same child 2,000 times and checks that the
// live heap does not grow from the 500th to the 2,000th: an evaluation leaves
// nothing behind in the simulator's long-lived CUE context (compiling each child
// with CompileBytes kept about 20 KiB, 30 MiB over this test).
func TestStatusKeepsNothing(t *testing.T) {
	const (
		evaluations = 2000
		warm        = 500
		// allowedGrowth is far above the noise of a heap measured after GC.
		allowedGrowth = 2 << 20
	)
	sim, err := New(nil, env.registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := env.registry.Get("postgresql")
	r, err := pg.Render(render.Input{Cluster: map[string]any{
		"apiVersion": "dbaas.io/v1alpha1",
		"kind":       "DatabaseCluster",
		"metadata":   map[string]any{"name": "orders", "namespace": "shop"},
		"spec":       map[string]any{"engine": "postgresql", "version": "16", "clusterSize": 3, "storage": map[string]any{"size": "1Gi"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	child := r.Objects[0].Object
	var before uint64
	for i := range evaluations {
		if i == warm {
			before = liveHeap()
		}
		p, err := sim.play("postgresql", child, "healthy", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.status) == 0 {
			t.Fatalf("no status simulated for %s", child.GetKind())
		}
	}
	after := liveHeap()
	runtime.KeepAlive(sim)
	t.Logf("live heap: %.1f MiB after %d evaluations, %.1f MiB after %d", mib(before), warm, mib(after), evaluations)
	if grown := int64(after) - int64(before); grown > allowedGrowth {
		t.Errorf("the live heap grew by %.1f MiB over %d evaluations, want at most %.1f MiB",
			mib(uint64(grown)), evaluations-warm, mib(allowedGrowth))
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
