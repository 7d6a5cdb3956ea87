package render

import (
	"fmt"
	"runtime"
	"testing"

	"dbaas.io/operator/engines"
)

// TestMemoBudget: the memo forgets the least recently used results once their
// estimated bytes exceed its budget, counts a replaced result once, and does not
// keep a result larger than the whole budget.
func TestMemoBudget(t *testing.T) {
	entry := func(i int) [32]byte { return memoKey(fmt.Sprint(i)) }
	value := make([]byte, 1000)
	size := memoOverhead + sizeOf(value)
	m := newMemo(3 * size)
	for i := range 3 {
		m.Add(entry(i), value)
	}
	m.Add(entry(1), value) // a replaced result is counted once
	if _, ok := m.Get(entry(0)); !ok {
		t.Fatal("forgot a result while within the budget")
	}
	m.Add(entry(3), value) // over budget: entry 2 is the least recently used
	if _, ok := m.Get(entry(2)); ok {
		t.Error("kept the least recently used result over the budget")
	}
	for _, i := range []int{0, 1, 3} {
		if _, ok := m.Get(entry(i)); !ok {
			t.Errorf("forgot result %d, used more recently", i)
		}
	}
	if m.size > m.budget {
		t.Errorf("holds %d bytes, budget %d", m.size, m.budget)
	}
	m.Add(entry(4), make([]byte, 4*size))
	if _, ok := m.Get(entry(4)); ok {
		t.Error("kept a result larger than the budget")
	}
	if got := m.Len(); got != 3 {
		t.Errorf("holds %d results, want 3", got)
	}
}

// TestRegistryMemoBudget: a registry's memo budget reaches the engines loaded before
// and after it is set, and a smaller budget forgets what no longer fits at once.
func TestRegistryMemoBudget(t *testing.T) {
	r, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := r.Get("postgresql")
	if !ok {
		t.Fatal("no postgresql engine")
	}
	if e.ev.memo.budget != DefaultMemoBytes {
		t.Fatalf("budget %d, want the default %d", e.ev.memo.budget, DefaultMemoBytes)
	}
	value := make([]byte, 1000)
	for i := range 10 {
		e.ev.memo.Add(memoKey(fmt.Sprint(i)), value)
	}
	small := 3 * (memoOverhead + sizeOf(value))
	r.SetMemoBudget(small)
	if got := e.ev.memo.Len(); got != 3 {
		t.Errorf("holds %d results after the budget shrank to 3 of them", got)
	}
	if _, ok := e.ev.memo.Get(memoKey("9")); !ok {
		t.Error("forgot the most recent result")
	}
	r.SetMemoBudget(0)
	if e.ev.memo.budget != DefaultMemoBytes {
		t.Errorf("budget %d after SetMemoBudget(0), want the default", e.ev.memo.budget)
	}
}

// TestMemoSizeEstimates: what sizeOf estimates for an engine's memoized results
// (an evaluation and a status mapping per cluster) is within a factor of two of
// the heap they keep alive, so the memo's budget bounds its memory.
func TestMemoSizeEstimates(t *testing.T) {
	const clusters = 60
	reg, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.Engines() {
		var kept []any
		var estimated int64
		for i := range clusters {
			in := cluster3(e.Name, fmt.Sprintf("cluster-%d", i))
			b, err := in.encode()
			if err != nil {
				t.Fatal(err)
			}
			ev, err := e.evaluate(b)
			if err != nil {
				t.Fatal(err)
			}
			observed := map[string]map[string]any{}
			for _, o := range ev.result.Objects {
				observed[o.Key] = o.Object.Object
			}
			status, err := e.Status(in, observed, nil)
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, ev, status)
			estimated += sizeOf(ev) + sizeOf(status)
		}
		e.ev.memo = newMemo(0) // only kept holds the results now
		with := liveHeap()
		runtime.KeepAlive(kept)
		held := int64(with) - int64(liveHeap())
		t.Logf("%s: %d B held per cluster, %d B estimated", e.Name, held/clusters, estimated/clusters)
		if estimated < held/2 || estimated > held*2 {
			t.Errorf("%s: estimated %d B for results that hold %d B", e.Name, estimated, held)
		}
	}
}
