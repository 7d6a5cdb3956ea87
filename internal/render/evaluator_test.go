package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dbaas.io/operator/engines"
)

// writeEngine writes the postgresql engine to dir/postgresql, with extra as one more
// file of its package, slow.cue.
func writeEngine(t *testing.T, dir, extra string) {
	t.Helper()
	files, err := fs.Glob(engines.FS(), "postgresql/*.cue")
	if err != nil || len(files) == 0 {
		t.Fatalf("postgresql files: %v %v", files, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "postgresql"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		body, err := fs.ReadFile(engines.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "postgresql", "slow.cue"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
}

// slowFile is a file of the postgresql package with an annotation that counts the
// pairs of numbers below n whose product is -1 (none): a comprehension of n^2 steps,
// which takes seconds for a few hundred. n is CUE: a number, or an expression of
// the input.
func slowFile(n string) string {
	return fmt.Sprintf(`package postgresql

import (
	"list"
	"strings"
)

_slowN: %s
_slow: [for a in list.Range(0, _slowN, 1) for b in list.Range(0, _slowN, 1) if a*b == -1 {a}]
stages: metadata: objects: cluster: metadata: annotations: "example.com/slow": "\(len(_slow))"
_uses: strings.HasPrefix
`, n)
}

// slowEngine is the postgresql engine whose render, for a cluster named "slow...",
// takes scale^2 steps. It depends on the input, so the engine loads at once.
func slowEngine(t *testing.T, scale int) *Engine {
	t.Helper()
	dir := t.TempDir()
	writeEngine(t, dir, slowFile(fmt.Sprintf(`[if strings.HasPrefix(input.cluster.metadata.name, "slow") {%d}, 0][0]`, scale)))
	reg, err := NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := reg.Get("postgresql")
	if !ok || !strings.HasPrefix(e.Source, dir) {
		t.Fatalf("engine %v from %s, want the override", ok, e.Source)
	}
	return e
}

// TestLoadDeadline: an override whose compilation takes seconds fails at the load
// deadline, promptly, and the version in service keeps serving; the same files are
// not compiled again at the next reload.
func TestLoadDeadline(t *testing.T) {
	dir := t.TempDir()
	// One more file, so that the override differs from the embedded engine.
	writeEngine(t, dir, "package postgresql\n")
	reg, err := NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := reg.Get("postgresql")
	if good.Source != dir {
		t.Fatalf("postgresql from %s, want the override", good.Source)
	}
	reg.loadTimeout = 100 * time.Millisecond
	writeEngine(t, dir, slowFile("400"))

	start := time.Now()
	err = reg.Reload()
	if took := time.Since(start); took > time.Second {
		t.Errorf("reload returned after %s, want about 100ms", took)
	}
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "the compilation is abandoned") {
		t.Fatalf("reload error %v, want the load deadline's", err)
	}
	if e, _ := reg.Get("postgresql"); e != good {
		t.Error("the override that did not compile in time replaced the one in service")
	}
	start = time.Now()
	if err := reg.Reload(); !errors.Is(err, ErrDeadline) {
		t.Fatalf("second reload: %v, want the same error", err)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("the second reload took %s: it compiled the same files again", took)
	}
}

// TestRenderDeadline: an engine whose evaluation takes seconds fails at its
// deadline, promptly, with ErrDeadline; a second render of the same input awaits the
// abandoned evaluation instead of starting another; once that evaluation ends, the
// instance it used is discarded, not returned to the pool, and renders go on with a
// fresh one.
func TestRenderDeadline(t *testing.T) {
	e := slowEngine(t, 400)
	const deadline = 100 * time.Millisecond
	e.SetEvalTimeout(deadline)
	in := pgInput("slow")

	start := time.Now()
	_, err := e.Render(in)
	if took := time.Since(start); took > deadline+time.Second {
		t.Errorf("render returned after %s, want about %s", took, deadline)
	}
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "engine postgresql") {
		t.Fatalf("render error %v, want the deadline's", err)
	}
	// The first flight may still be compiling the package: count flights started,
	// not evaluations, which it may reach only now.
	started := e.ev.started.Load()
	if _, err := e.Render(in); !errors.Is(err, ErrDeadline) {
		t.Fatalf("second render: %v, want the deadline's", err)
	}
	if got := e.ev.started.Load(); got != started {
		t.Errorf("the second render started another evaluation (%d started, want %d): it should await the first", got, started)
	}

	// The abandoned evaluation ends on its own; its instance goes.
	waitFor(t, time.Minute, func() bool { return e.ev.discarded.Load() == 1 && e.ev.abandoned.Load() == 0 })

	// The late result was memoized: the same input renders now, without evaluating.
	e.SetEvalTimeout(time.Minute)
	r, err := e.Render(in)
	if err != nil || len(r.Objects) == 0 {
		t.Fatalf("render after the abandoned evaluation ended: %v, %v", r, err)
	}
	// A new input evaluates on a fresh instance.
	if _, err := e.Render(pgInput("other")); err != nil {
		t.Fatalf("render of another input: %v", err)
	}
	if got := e.ev.discarded.Load(); got != 1 {
		t.Errorf("%d instances discarded, want 1", got)
	}
}

// TestDeadlineLeavesOtherInputs: while an abandoned evaluation holds an instance,
// other inputs render on the pool's other instances, or fail at their deadline
// saying why when there is none.
func TestDeadlineLeavesOtherInputs(t *testing.T) {
	e := slowEngine(t, 400)
	e.SetEvalTimeout(100 * time.Millisecond)
	if _, err := e.Render(pgInput("slow")); !errors.Is(err, ErrDeadline) {
		t.Fatalf("render: %v, want the deadline's", err)
	}
	e.SetEvalTimeout(10 * time.Second)
	_, err := e.Render(pgInput("fast"))
	if cap(e.ev.instances.idle) > 1 {
		if err != nil {
			t.Errorf("render of another input beside the abandoned one: %v", err)
		}
	} else if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "no instance became free") {
		t.Errorf("render of another input with the only instance busy: %v, want a deadline error that says why", err)
	}
	waitFor(t, time.Minute, func() bool { return e.ev.abandoned.Load() == 0 && e.ev.discarded.Load() == 1 })
}

// TestAdmissionViewKeepsReconcilersMemo: the admission view renders with a memo and
// instances of its own. A flood of admission renders of distinct clusters evicts
// nothing the reconcilers memoized, and a busy admission pool leaves the reconcilers'
// instances free; each view reads what the other memoized.
func TestAdmissionViewKeepsReconcilersMemo(t *testing.T) {
	reg, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := reg.Get("postgresql")
	admission := pg.Admission()
	if admission == pg || admission.Admission() != admission || pg.Admission() != admission {
		t.Fatal("Admission() is not one view of its own")
	}
	if admission.ev.memo == pg.ev.memo || admission.ev.instances == pg.ev.instances {
		t.Fatal("the admission view shares the reconcilers' memo or pool")
	}
	// A few clusters' worth, to flood it quickly.
	admission.ev.memo = newMemo(64 << 10)
	pg.ev.peer.Store(admission.ev.memo)

	// The reconcilers render their clusters.
	const reconciled = 5
	for i := range reconciled {
		if _, err := pg.Render(cluster3("postgresql", fmt.Sprintf("kept-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	kept := pg.ev.memo.Len()

	// A flood of dry-runs of new clusters, from 4 goroutines.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				if _, err := admission.Render(cluster3("postgresql", fmt.Sprintf("flood-%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := pg.ev.memo.Len(); got != kept {
		t.Errorf("the reconcilers' memo holds %d results after the flood, want %d", got, kept)
	}
	if admission.ev.memo.size > admission.ev.memo.budget {
		t.Errorf("the admission memo holds %d bytes, budget %d", admission.ev.memo.size, admission.ev.memo.budget)
	}
	// The reconcilers' instances stayed idle: the flood compiled its own.
	if idle := len(pg.ev.instances.idle); idle != 1 {
		t.Errorf("%d reconciler instances idle, want the one compiled at load", idle)
	}

	// Each view answers from the other's memo: no evaluation.
	fills := pg.shared.fills.Load()
	if _, err := admission.Render(cluster3("postgresql", "kept-0")); err != nil {
		t.Fatal(err)
	}
	in := cluster3("postgresql", "new")
	if _, err := admission.Render(in); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Render(in); err != nil {
		t.Fatal(err)
	}
	if got := pg.shared.fills.Load() - fills; got != 1 {
		t.Errorf("%d evaluations, want 1 (the admission render of the new cluster)", got)
	}
	b, _ := in.encode()
	if _, ok := pg.ev.memo.Peek(memoKey("evaluation", b)); !ok {
		t.Error("the reconcilers did not keep the webhook's render of the new cluster")
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
