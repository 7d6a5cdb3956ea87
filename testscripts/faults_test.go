package testscripts

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// killSwitch stops the operator dead at armed points of an operation (see
// controller.OpsHook): the operator's manager is cancelled and the reconcile panics
// out at once, so nothing after the point runs; a fresh operator then starts.
type killSwitch struct {
	mu sync.Mutex
	// armed are the points still to kill at, in the order the operation passes them.
	armed []killPoint
	// killed are the points the operator was killed at.
	killed []string
}

// killPoint is a named point of one OpsRequest.
type killPoint struct{ namespace, ops, point string }

// killed is what the reconcile panics with; controller-runtime recovers it.
type killed string

// hook returns the OpsHook of one operator instance. Once the instance is killed it
// stays dead: until its manager has stopped it may still retry a reconcile, which
// panics at the first point it reaches, so only the fresh operator passes points.
func (k *killSwitch) hook() func(context.Context, string, *dbaasv1.OpsRequest) {
	var dead atomic.Bool
	return func(_ context.Context, point string, ops *dbaasv1.OpsRequest) {
		if dead.Load() {
			panic(killed(point))
		}
		if !k.take(point, ops) {
			return
		}
		dead.Store(true)
		env.operator.kill()
		panic(killed(point))
	}
}

// take reports whether point of ops is the next armed point, and disarms it.
func (k *killSwitch) take(point string, ops *dbaasv1.OpsRequest) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.armed) == 0 || k.armed[0] != (killPoint{namespace: ops.Namespace, ops: ops.Name, point: point}) {
		return false
	}
	k.armed = k.armed[1:]
	k.killed = append(k.killed, point)
	return true
}

// arm adds points to kill at, for one OpsRequest.
func (k *killSwitch) arm(namespace, ops string, points []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range points {
		k.armed = append(k.armed, killPoint{namespace: namespace, ops: ops, point: p})
	}
}

// remaining returns the points still armed.
func (k *killSwitch) remaining() []killPoint {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]killPoint(nil), k.armed...)
}

// takeKilled returns the points killed at and forgets them.
func (k *killSwitch) takeKilled() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	killed := k.killed
	k.killed = nil
	return killed
}

// reset disarms every point and forgets the kills.
func (k *killSwitch) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.armed, k.killed = nil, nil
}

// writeLog counts the operator's successful writes to the API server (create,
// update, patch, delete) that belong to a step of an operation, as the step tags
// the request's context: what "ran twice" means, measured at the API server's door
// rather than from the controller's own bookkeeping.
type writeLog struct {
	mu     sync.Mutex
	writes map[stepKey]int
}

// stepKey is one step of one operation.
type stepKey struct {
	ops  types.UID
	step int
}

// wrap is the operator's rest.Config transport wrapper.
func (w *writeLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err != nil || req.Method == http.MethodGet || resp.StatusCode >= 300 {
			return resp, err
		}
		if ref, ok := controller.StepOf(req.Context()); ok {
			w.mu.Lock()
			if w.writes == nil {
				w.writes = map[stepKey]int{}
			}
			w.writes[stepKey{ops: ref.OpsRequest, step: ref.Step}]++
			w.mu.Unlock()
		}
		return resp, err
	})
}

// count returns how many writes a step made.
func (w *writeLog) count(ops types.UID, step int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes[stepKey{ops: ops, step: step}]
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// cmdKillOperatorAt arms points at which the operator is killed:
//
//	kill-operator-at <opsrequest> <point>...
//
// When the operator reaches the next armed point of that OpsRequest (in the script's
// namespace), it stops dead there and a fresh operator starts. Points are
// before-plan, after-plan, before-fence, before-step/<n>, after-step/<n>,
// before-rollback, after-rollback and before-finish, armed in the order the
// operation passes them. Only scripts in exclusive/ may use it.
func cmdKillOperatorAt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: kill-operator-at <opsrequest> <point>...")
	}
	if ts.Getenv("EXCLUSIVE") != "1" {
		ts.Fatalf("kill-operator-at is only for scripts in exclusive/")
	}
	env.kills.arm(ts.Getenv("NAMESPACE"), args[0], args[1:])
}

// cmdKilled waits (up to 120s) until the operator was killed at every armed point
// and a fresh one serves, then prints the points it was killed at since the last
// `killed`, one a line:
//
//	killed
func cmdKilled(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: killed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for {
		armed := env.kills.remaining()
		if len(armed) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("killed: the operator never reached %s of %s", armed[0].point, armed[0].ops)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := env.operator.ready(ctx); err != nil {
		ts.Fatalf("killed: %v", err)
	}
	for _, p := range env.kills.takeKilled() {
		fmt.Fprintln(ts.Stdout(), p)
	}
}

// cmdOpsWrites prints, for each step of an OpsRequest's recorded plan (and its
// rollback), how many successful writes the operator sent to the API server for it:
//
//	ops-writes <opsrequest>
//
// One line per step, "<n> <name>: <writes>", and "rollback: <writes>" when the plan
// has a rollback.
func cmdOpsWrites(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ops-writes <opsrequest>")
	}
	ops := &dbaasv1.OpsRequest{}
	if err := env.client.Get(context.Background(), client.ObjectKey{Namespace: ts.Getenv("NAMESPACE"), Name: args[0]}, ops); err != nil {
		ts.Fatalf("ops-writes: %v", err)
	}
	if ops.Status.Plan == nil {
		ts.Fatalf("ops-writes: OpsRequest %s has no plan", args[0])
	}
	var out strings.Builder
	for i, step := range ops.Status.Plan.Steps {
		fmt.Fprintf(&out, "%d %s: %d\n", i, step.Name, env.writes.count(ops.UID, i))
	}
	if ops.Status.Plan.Rollback != nil {
		fmt.Fprintf(&out, "rollback: %d\n", env.writes.count(ops.UID, controller.RollbackStep))
	}
	fmt.Fprint(ts.Stdout(), out.String())
}
