package render

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultEvalTimeout bounds one evaluation of an engine. A render takes milliseconds;
// the admission webhooks have ten seconds for the render, the policy and their reads.
const DefaultEvalTimeout = 5 * time.Second

// ErrDeadline is the error of an evaluation that did not finish within its deadline.
var ErrDeadline = errors.New("the evaluation did not finish within its deadline")

// Memo budgets of the two views of an engine (see Engine.Admission). A cluster's
// entries (its evaluation and its status mapping) take 7 KiB (postgresql) to 18 KiB
// (kafka) by sizeOf's estimate, and hold about twice that in live heap, so 2 MiB
// holds the latest entries of the 100 to 300 clusters per engine that changed last.
// Measured at 1,000 clusters (README, Scale), 8 MiB memos cost 16 MiB of live heap
// and 24 MiB of RSS against 2 MiB ones, for no faster convergence: the controller's
// own writes cause no reconcile, so an unchanged cluster comes back only on a resync
// or a restart, and each new child status is a new input. What a memo must serve is
// the short run from a webhook's render of a new spec to the reconcile that follows.
// --render-memo-size sets the reconcilers' budget.
const (
	DefaultMemoBytes          = 2 << 20
	defaultAdmissionMemoBytes = 2 << 20
)

// setMemoBudget sets the budget of the reconcilers' memo (n <= 0: DefaultMemoBytes).
func (e *Engine) setMemoBudget(n int64) {
	if n <= 0 {
		n = DefaultMemoBytes
	}
	e.ev.memo.setBudget(n)
}

// evaluator evaluates an engine for one kind of caller: the reconcilers, or the
// admission webhooks (see Engine.Admission). Each has its own instances and memo, so
// neither can evict the other's results or keep the other's instances busy.
type evaluator struct {
	instances *pool
	memo      *memo
	// peer is the other view's memo, read on a miss; nil until the admission view
	// exists.
	peer atomic.Pointer[memo]
	// admission is true for the webhooks' evaluator. The other, the reconcilers',
	// copies what its peer answers into its memo: it keeps the webhook's render of a
	// new spec, which the webhook's memo may forget.
	admission bool

	mu      sync.Mutex
	flights map[[32]byte]*flight // the evaluations running, by key
	// abandoned counts the evaluations past their deadline that still run.
	abandoned atomic.Int64
	// discarded counts the instances discarded after an abandoned or panicked
	// evaluation, for tests.
	discarded atomic.Int64
	// started counts the flights started, for tests: a flight may reach its
	// evaluation only after its caller's deadline, so fills cannot tell whether a
	// second caller started another.
	started atomic.Int64
}

func newEvaluator(instances *pool, memoBytes int64) *evaluator {
	return &evaluator{instances: instances, memo: newMemo(memoBytes), flights: map[[32]byte]*flight{}}
}

// shared is what the views of one engine share.
type shared struct {
	timeout atomic.Int64 // the deadline of an evaluation, in nanoseconds
	// fills counts the evaluations of an input by both views, for tests of the memo.
	fills     atomic.Int64
	admission sync.Once
	view      *Engine // the admission view, once made
}

// recall returns a result remembered by the view, else by its peer.
func (ev *evaluator) recall(key [32]byte) (any, bool) {
	if v, ok := ev.memo.Get(key); ok {
		return v, true
	}
	peer := ev.peer.Load()
	if peer == nil {
		return nil, false
	}
	v, ok := peer.Peek(key)
	if ok && !ev.admission {
		ev.memo.Add(key, v)
	}
	return v, ok
}

// Admission is the view of the engine that the admission webhooks evaluate with: the
// same engine with an instance pool (compiled on first use) and a memo (2 MiB) of
// its own, so that a flood of server-side dry-runs can neither evict the
// reconcilers' memoized results nor keep their instances busy. Each view reads the
// other's memo on a miss: a spec the reconcilers rendered is not rendered again for
// admission, and the webhook's render of a new spec answers the reconcile that
// follows (the reconcilers keep a copy). The admission view of the admission view is
// itself.
func (e *Engine) Admission() *Engine {
	if e.ev.admission {
		return e
	}
	e.shared.admission.Do(func() {
		v := *e
		v.ev = newEvaluator(newPool(e.ev.instances.files, e.ev.instances.dir), defaultAdmissionMemoBytes)
		v.ev.admission = true
		v.ev.peer.Store(e.ev.memo)
		e.ev.peer.Store(v.ev.memo)
		e.shared.view = &v
	})
	return e.shared.view
}

// EvalTimeout is the deadline of one evaluation of the engine.
func (e *Engine) EvalTimeout() time.Duration { return time.Duration(e.shared.timeout.Load()) }

// SetEvalTimeout sets the deadline of one evaluation of the engine, in both views;
// d <= 0 restores DefaultEvalTimeout.
func (e *Engine) SetEvalTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultEvalTimeout
	}
	e.shared.timeout.Store(int64(d))
}

// flight is one evaluation running, which every caller asking for its key awaits.
type flight struct {
	done  chan struct{} // closed when value and err are set
	value any
	err   error
}

// bounded runs eval on one of the view's instances, in a goroutine of its own, and
// waits for it until the engine's deadline. CUE cannot cancel an evaluation, so one
// that passes its deadline is abandoned: the caller gets ErrDeadline at once, the
// evaluation runs on to its end (and memoizes what it finds), and its instance is
// then discarded rather than returned to the pool, so no context that an abandoned
// (or panicking) evaluation used ever evaluates again. A caller asking for a key
// whose evaluation still runs awaits that one instead of starting another, so
// retries of a runaway input cannot pile up; different inputs are bounded by the pool,
// whose abandoned instances keep their slots until their evaluation ends.
func (e *Engine) bounded(key [32]byte, eval func(*instance) (any, error)) (any, error) {
	timeout := e.EvalTimeout()
	e.ev.mu.Lock()
	f, running := e.ev.flights[key]
	if !running {
		f = &flight{done: make(chan struct{})}
		e.ev.flights[key] = f
		e.ev.started.Add(1)
		go e.fly(key, f, timeout, eval)
	}
	e.ev.mu.Unlock()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-f.done:
		return f.value, f.err
	case <-timer.C:
		return nil, fmt.Errorf("engine %s: %w (%s): it is abandoned, and the CUE context it uses will not evaluate again", e.Name, ErrDeadline, timeout)
	}
}

// fly runs one flight: it acquires an instance within the deadline, evaluates, and
// returns the instance to the pool, or discards it when the evaluation ended after
// its deadline or panicked.
func (e *Engine) fly(key [32]byte, f *flight, timeout time.Duration, eval func(*instance) (any, error)) {
	start := time.Now()
	defer func() {
		e.ev.mu.Lock()
		delete(e.ev.flights, key)
		e.ev.mu.Unlock()
		close(f.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	inst, err := e.ev.instances.acquire(ctx)
	if err != nil {
		f.err = fmt.Errorf("engine %s: %w (%s): no instance became free, %d evaluations past their deadline still run", e.Name, ErrDeadline, timeout, e.ev.abandoned.Load())
		return
	}
	late := time.AfterFunc(timeout-time.Since(start), func() { e.ev.abandoned.Add(1) })
	defer func() {
		r := recover()
		if !late.Stop() {
			e.ev.abandoned.Add(-1)
		}
		if r != nil {
			f.value, f.err = nil, fmt.Errorf("engine %s: the evaluation failed: %v", e.Name, r)
		}
		if r != nil || time.Since(start) > timeout {
			e.ev.discarded.Add(1)
			e.ev.instances.discard(inst)
			return
		}
		e.ev.instances.release(inst)
	}()
	f.value, f.err = eval(inst)
}
