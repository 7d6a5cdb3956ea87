package controller

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
)

// OpsRequestReconciler runs OpsRequests: it queues them per cluster, executes what
// the cluster's engine defines for the operation, and follows the children until
// the engine says the operation is done or failed.
type OpsRequestReconciler struct {
	client.Client
	// Providers returns the engine of a cluster.
	Providers *provider.Factory
	// Policy gates an operation before it starts; nil allows everything.
	Policy OpsPolicy
	// Recorder emits the action log as Events on the OpsRequest.
	Recorder events.EventRecorder
	// Live reads the objects an operation observes, which no watch covers, from the
	// API server rather than from a cache (a Pod or a PVC informer would hold every
	// one of the cluster); nil reads them through the client.
	Live client.Reader
	// Clock is the time source; tests swap it.
	Clock clock.PassiveClock
	// Concurrency is how many OpsRequests are reconciled at once. Default: 1.
	Concurrency int
	// Hook is called at the named points of an operation (fault-injection tests);
	// nil in the operator.
	Hook OpsHook

	// own remembers the version each status write replaced, so that a reconcile
	// whose cache has not seen that write reads the request live (superseded).
	own ownWrites
}

// +kubebuilder:rbac:groups=dbaas.io,resources=opsrequests,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=dbaas.io,resources=opsrequests/status,verbs=update
// +kubebuilder:rbac:groups=dbaas.io,resources=databaseclusters,verbs=create

// clusterSettled reports whether the cluster's status describes its current spec
// and shows no convergence in progress.
func clusterSettled(c *dbaasv1.DatabaseCluster) bool {
	if c.Status.ObservedGeneration != c.Generation {
		return false
	}
	p := meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ProgressingCondition)
	return p == nil || p.Status != metav1.ConditionTrue
}

// conflictRetry is how soon a reconcile that read a stale object runs again.
const conflictRetry = 100 * time.Millisecond

// runningResync is how often a running operation is looked at without an event.
const runningResync = 15 * time.Second

// notReadyRetry is how often an operation that waits for a Ready cluster checks again.
const notReadyRetry = 5 * time.Second

// observePoll is how often a running operation looks again at the objects its
// observe names, which no watch covers.
const observePoll = 2 * time.Second

// Reconcile advances one OpsRequest: Pending → Running → Succeeded, Failed,
// Cancelled or TimedOut, and deletes finished ones after their TTL. Transient errors
// are returned, so the request is retried with backoff until the operation's
// timeout; permanent ones fail the operation with a reason that says which.
func (r *OpsRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ops := &dbaasv1.OpsRequest{}
	if err := r.Get(ctx, req.NamespacedName, ops); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.own.superseded(ops) {
		// An event queued while the last reconcile ran, read from a cache that has
		// not seen that reconcile's status write: a write guarded by this copy would
		// be refused and the request done again. Read it as it is.
		if err := r.live().Get(ctx, req.NamespacedName, ops); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	if ops.Status.Phase.Finished() {
		return r.expire(ctx, ops)
	}
	s := &opsScope{ops: ops, original: ops.DeepCopy()}
	result, err := r.advance(ctx, s)
	if isPermanent(err) && !s.ops.Status.Phase.Finished() {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ReadFailedReason, err.Error())
		err = nil
	}
	if err == nil {
		if s.ops.Status.Phase.Finished() && !s.original.Status.Phase.Finished() {
			r.at(ctx, BeforeFinish, s)
		}
		err = r.writeOpsStatus(ctx, s)
	}
	if apierrors.IsConflict(err) {
		// A stale read: the request comes back once the cache has the latest write.
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if s.ops.Status.Phase.Finished() {
		return r.expire(ctx, s.ops)
	}
	return result, nil
}

// advance runs the step of the operation's current phase.
func (r *OpsRequestReconciler) advance(ctx context.Context, s *opsScope) (ctrl.Result, error) {
	if s.ops.Status.Phase == "" {
		s.ops.Status.Phase = dbaasv1.OpsPending
		r.log(s, "Created", fmt.Sprintf("%s of DatabaseCluster %s requested", s.ops.Spec.Type, s.ops.Spec.ClusterRef))
	}
	if s.ops.Status.Phase == dbaasv1.OpsPending && s.ops.Spec.Cancel {
		r.finish(s, dbaasv1.OpsCancelled, dbaasv1.CancelledReason, "cancelled while pending: nothing was changed")
		return ctrl.Result{}, nil
	}
	// The timeout is judged before anything is read: reads that keep failing do not
	// hold an operation past it.
	if r.timedOut(s) {
		return ctrl.Result{}, nil
	}
	if done, err := r.loadCluster(ctx, s); done || err != nil {
		return ctrl.Result{}, err
	}
	if r.timedOut(s) {
		return ctrl.Result{}, nil
	}
	if s.ops.Status.Phase == dbaasv1.OpsRunning && s.ops.Spec.Cancel && s.ops.Status.Plan != nil {
		if done, err := r.cancelRunning(ctx, s); done || err != nil {
			return ctrl.Result{}, err
		}
	}
	if !s.ops.Spec.DryRun && r.paused(s) {
		return r.requeueForTimeout(s), nil
	}
	if s.ops.Status.Phase == dbaasv1.OpsPending {
		return r.reconcilePending(ctx, s)
	}
	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return r.reconcileRunning(ctx, s)
}

// reconcilePending checks the parameters, waits for the queue, checks the policy,
// then starts the operation.
func (r *OpsRequestReconciler) reconcilePending(ctx context.Context, s *opsScope) (ctrl.Result, error) {
	if s.provider.Operations().Queued(string(s.ops.Spec.Type)) && !s.ops.Spec.DryRun {
		blocker, err := r.blocker(ctx, s)
		if err != nil {
			return ctrl.Result{}, err
		}
		if blocker != nil {
			msg := fmt.Sprintf("waiting for OpsRequest %s (%s, %s) on DatabaseCluster %s", blocker.Name, blocker.Spec.Type, phaseOf(blocker), s.cluster.Name)
			r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionTrue, dbaasv1.WaitingReason, msg)
			return r.requeueForTimeout(s), nil
		}
	}
	// Only the head of the queue reads the children: a queued operation is woken up
	// by every event on them.
	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	// Parameters and policy are checked when the operation reaches the head of the
	// queue: what they depend on (the primary, a Ready cluster) is the state the
	// operations before it left. The operation is evaluated as it will run, with the
	// start time it is about to be given: its actions use that time as their stable
	// timestamp.
	now := metav1.NewTime(r.Clock.Now())
	s.startTime = &now
	if done, err := r.evaluate(ctx, s); done || err != nil {
		return ctrl.Result{}, err
	}
	if len(s.operation.Invalid) > 0 {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.InvalidParametersReason, strings.Join(s.operation.Invalid, "; "))
		return ctrl.Result{}, nil
	}
	if r.Policy != nil {
		decision, err := r.Policy.Ops(ctx, s.ops, s.cluster, s.provider.Engine(), s.operation.SpecPatch)
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("cannot evaluate the ops policy: %w", err)
		}
		if decision.OnlyReason(policy.ReasonClusterNotReady) && s.ops.Spec.DryRun {
			return ctrl.Result{}, r.dryRun(ctx, s, "; a real operation would wait first: "+decision.Message())
		}
		if decision.OnlyReason(policy.ReasonClusterNotReady) {
			// Admitted while the cluster was Ready; it is converging from the operation
			// before this one: wait for it rather than fail.
			r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionTrue, dbaasv1.WaitingReason, decision.Message())
			return shortest(r.requeueForTimeout(s), ctrl.Result{RequeueAfter: notReadyRetry}), nil
		}
		if !decision.Allowed() {
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.PolicyDeniedReason, "the policy denies the operation: "+decision.Message())
			return ctrl.Result{}, nil
		}
	}
	if s.ops.Spec.DryRun {
		return ctrl.Result{}, r.dryRun(ctx, s, "")
	}
	if err := r.start(ctx, s, &now); err != nil {
		return ctrl.Result{}, err
	}
	return r.reconcileRunning(ctx, s)
}

// start records the plan, and the start time the operation was evaluated with,
// before anything is changed: a restart between this write and the steps executes
// this plan, with these targets, never a new evaluation. The write is guarded by the
// resourceVersion, so it is the fence of this reconcile.
func (r *OpsRequestReconciler) start(ctx context.Context, s *opsScope, now *metav1.Time) error {
	plan, err := r.plan(ctx, s)
	if err != nil {
		if isPermanent(err) {
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason, err.Error())
			return nil
		}
		return err
	}
	s.ops.Status.Phase = dbaasv1.OpsRunning
	s.ops.Status.StartTime = now
	s.ops.Status.Plan = plan
	r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionFalse, dbaasv1.RunningReason, "the operation left the queue")
	r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, "the operation runs")
	r.log(s, "Started", fmt.Sprintf("%s of DatabaseCluster %s started", s.ops.Spec.Type, s.cluster.Name))
	if first := startNext(plan); first >= 0 {
		s.fresh = map[int]bool{first: true}
	} else {
		r.log(s, "Applied", "the operation has nothing to change; waiting for the children")
	}
	r.at(ctx, BeforePlan, s)
	if err := r.commit(ctx, s); err != nil {
		return err
	}
	r.at(ctx, AfterPlan, s)
	return nil
}

// reconcileRunning executes the recorded plan, then follows the operation to its
// end.
func (r *OpsRequestReconciler) reconcileRunning(ctx context.Context, s *opsScope) (ctrl.Result, error) {
	if s.ops.Status.Phase.Finished() {
		return ctrl.Result{}, nil
	}
	if s.ops.Status.Plan == nil {
		// Started by an operator that recorded no plan: record one now.
		if done, err := r.evaluate(ctx, s); done || err != nil {
			return ctrl.Result{}, err
		}
		if !r.logged(s, "Applied") {
			if err := r.start(ctx, s, s.ops.Status.StartTime); err != nil || s.ops.Status.Phase.Finished() {
				return ctrl.Result{}, err
			}
		} else {
			s.ops.Status.Plan = &dbaasv1.OpsPlan{}
		}
	}
	if !s.ops.Status.Plan.Applied() {
		if err := r.execute(ctx, s); err != nil || s.ops.Status.Phase.Finished() {
			return ctrl.Result{}, err
		}
		// The children have not reacted yet: judge done and failed on the next event.
		return r.requeueForTimeout(s), nil
	}
	if done, err := r.evaluate(ctx, s); done || err != nil {
		return ctrl.Result{}, err
	}
	op := s.operation
	if r.recordMilestones(s) {
		// The engine judges done with its milestones: let it see the new ones.
		return r.requeueForTimeout(s), nil
	}
	if p := op.Progress; p != nil {
		s.ops.Status.Progress = fmt.Sprintf("%d/%d", p.Current, p.Total)
	}
	switch {
	case op.Failed:
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.OperationFailedReason, cmp.Or(op.Message, "the child reported a failure"))
	case op.Done && !clusterSettled(s.cluster):
		// The child is done; the cluster's own status follows on its next reconcile.
		// Succeeding only then means the next operation in the queue, and a user reading
		// both, see the cluster as the operation left it.
		r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason,
			fmt.Sprintf("the child is done; waiting for DatabaseCluster %s to report it", s.cluster.Name))
		// Its status write wakes this operation up; look again soon in case that write
		// was made before this reconcile read the cluster.
		return shortest(r.requeueForTimeout(s), ctrl.Result{RequeueAfter: observePoll}), nil
	case op.Done:
		if p := op.Progress; p != nil {
			s.ops.Status.Progress = fmt.Sprintf("%d/%d", p.Total, p.Total)
		}
		r.finish(s, dbaasv1.OpsSucceeded, dbaasv1.SucceededReason, fmt.Sprintf("%s succeeded", s.ops.Spec.Type))
	default:
		if op.Message != "" && !s.ops.Spec.Cancel {
			r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, op.Message)
		}
		// Objects named by observe are not watched (they are not the cluster's
		// children): look at them again shortly.
		if len(op.Observe) > 0 {
			return shortest(r.requeueForTimeout(s), ctrl.Result{RequeueAfter: observePoll}), nil
		}
		// Progress comes from events on the children; a slow resync is the safety net
		// that a running operation is never forgotten.
		return shortest(r.requeueForTimeout(s), ctrl.Result{RequeueAfter: runningResync}), nil
	}
	return r.requeueForTimeout(s), nil
}

// commit writes the status in the middle of a reconcile and continues from what it
// wrote: the read is fenced.
func (r *OpsRequestReconciler) commit(ctx context.Context, s *opsScope) error {
	if err := r.writeOpsStatus(ctx, s); err != nil {
		return err
	}
	s.original, s.logged, s.fenced = s.ops.DeepCopy(), nil, true
	return nil
}

// recordMilestones logs the milestones that hold for the first time, and reports
// whether it logged any.
func (r *OpsRequestReconciler) recordMilestones(s *opsScope) bool {
	names := make([]string, 0, len(s.operation.Milestones))
	for name, reached := range s.operation.Milestones {
		if reached && !r.reached(s, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		r.log(s, "Reached", name)
	}
	return len(names) > 0
}

// reached reports whether a milestone is in the action log.
func (r *OpsRequestReconciler) reached(s *opsScope, milestone string) bool {
	for _, a := range s.ops.Status.Actions {
		if a.Action == "Reached" && a.Message == milestone {
			return true
		}
	}
	return false
}

// expire deletes a finished OpsRequest once its TTL has passed.
func (r *OpsRequestReconciler) expire(ctx context.Context, ops *dbaasv1.OpsRequest) (ctrl.Result, error) {
	if ops.Spec.TTLSecondsAfterFinished == nil || ops.Status.CompletionTime == nil {
		return ctrl.Result{}, nil
	}
	expiry := ops.Status.CompletionTime.Add(time.Duration(*ops.Spec.TTLSecondsAfterFinished) * time.Second)
	if wait := expiry.Sub(r.Clock.Now()); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	r.Recorder.Eventf(ops, nil, corev1.EventTypeNormal, "Expired", "Delete", "deleted %ds after it finished", *ops.Spec.TTLSecondsAfterFinished)
	return ctrl.Result{}, client.IgnoreNotFound(r.Delete(ctx, ops, client.Preconditions{UID: &ops.UID}))
}

func phaseOf(o *dbaasv1.OpsRequest) dbaasv1.OpsPhase {
	if o.Status.Phase == "" {
		return dbaasv1.OpsPending
	}
	return o.Status.Phase
}
