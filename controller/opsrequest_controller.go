package controller

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
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
}

// +kubebuilder:rbac:groups=dbaas.io,resources=opsrequests,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=dbaas.io,resources=opsrequests/status,verbs=get;update;patch
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
// Cancelled or TimedOut, and deletes finished ones after their TTL.
func (r *OpsRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ops := &dbaasv1.OpsRequest{}
	if err := r.Get(ctx, req.NamespacedName, ops); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ops.Status.Phase.Finished() {
		return r.expire(ctx, ops)
	}
	s := &opsScope{ops: ops, original: ops.DeepCopy()}
	result, err := r.advance(ctx, s)
	if err == nil {
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
	if done, err := r.loadCluster(ctx, s); done || err != nil {
		return ctrl.Result{}, err
	}
	if s.ops.Status.Phase == dbaasv1.OpsPending {
		return r.reconcilePending(ctx, s)
	}
	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return r.reconcileRunning(ctx, s)
}

// loadCluster finds the cluster and its engine; it finishes the operation when
// either is missing or the engine lacks the operation.
func (r *OpsRequestReconciler) loadCluster(ctx context.Context, s *opsScope) (bool, error) {
	s.cluster = &dbaasv1.DatabaseCluster{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.ops.Namespace, Name: s.ops.Spec.ClusterRef}, s.cluster)
	if apierrors.IsNotFound(err) {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ClusterNotFoundReason, fmt.Sprintf("DatabaseCluster %q does not exist in namespace %s", s.ops.Spec.ClusterRef, s.ops.Namespace))
		return true, nil
	}
	if err != nil {
		return true, err
	}
	if s.provider, err = r.Providers.Get(s.cluster.Spec.Engine); err != nil {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.EngineNotFoundReason, err.Error())
		return true, nil
	}
	ops := s.provider.Operations()
	if !slices.Contains(ops.Types(), string(s.ops.Spec.Type)) {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.UnsupportedReason, fmt.Sprintf("engine %s does not support %s; it supports %s",
			s.cluster.Spec.Engine, s.ops.Spec.Type, strings.Join(ops.Types(), ", ")))
		return true, nil
	}
	return false, nil
}

// reconcilePending checks the parameters, waits for the queue, checks the policy,
// then starts the operation.
func (r *OpsRequestReconciler) reconcilePending(ctx context.Context, s *opsScope) (ctrl.Result, error) {
	if s.provider.Operations().Queued(string(s.ops.Spec.Type)) {
		blocker, err := r.blocker(ctx, s)
		if err != nil {
			return ctrl.Result{}, err
		}
		if blocker != nil {
			msg := fmt.Sprintf("waiting for OpsRequest %s (%s, %s) on DatabaseCluster %s", blocker.Name, blocker.Spec.Type, phaseOf(blocker), s.cluster.Name)
			r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionTrue, dbaasv1.WaitingReason, msg)
			return ctrl.Result{}, nil
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
	if err := r.evaluate(ctx, s); err != nil {
		return ctrl.Result{}, nil
	}
	if len(s.operation.Invalid) > 0 {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.InvalidParametersReason, strings.Join(s.operation.Invalid, "; "))
		return ctrl.Result{}, nil
	}
	if r.Policy != nil {
		decision, err := r.Policy.Ops(ctx, s.ops, s.cluster, s.provider.Engine())
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("cannot evaluate the ops policy: %w", err)
		}
		if decision.OnlyReason(policy.ReasonClusterNotReady) {
			// Admitted while the cluster was Ready; it is converging from the operation
			// before this one: wait for it rather than fail.
			r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionTrue, dbaasv1.WaitingReason, decision.Message())
			return ctrl.Result{RequeueAfter: notReadyRetry}, nil
		}
		if !decision.Allowed() {
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.PolicyDeniedReason, "the policy denies the operation: "+decision.Message())
			return ctrl.Result{}, nil
		}
	}
	s.ops.Status.Phase = dbaasv1.OpsRunning
	s.ops.Status.StartTime = &now
	r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionFalse, dbaasv1.RunningReason, "the operation left the queue")
	r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, "the operation runs")
	r.log(s, "Started", fmt.Sprintf("%s of DatabaseCluster %s started", s.ops.Spec.Type, s.cluster.Name))
	// The start time is written before anything is changed: actions use it as their
	// stable timestamp, so a restart between the write and the actions repeats them
	// identically instead of running them twice with different effects. Then the
	// operation runs in this same reconcile, as evaluated with that start time.
	if err := r.commit(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return r.reconcileRunning(ctx, s)
}

// reconcileRunning executes the operation once, then follows it to its end.
func (r *OpsRequestReconciler) reconcileRunning(ctx context.Context, s *opsScope) (ctrl.Result, error) {
	if s.ops.Spec.Cancel && !r.logged(s, "CancelRefused") {
		r.log(s, "CancelRefused", "a running operation cannot be cancelled: it runs until it succeeds, fails or times out")
	}
	if remaining, ok := r.timeLeft(s); ok && remaining <= 0 {
		r.finish(s, dbaasv1.OpsTimedOut, dbaasv1.TimedOutReason, fmt.Sprintf("the operation did not finish within %ds", *s.ops.Spec.TimeoutSeconds))
		return ctrl.Result{}, nil
	}
	if s.operation == nil {
		if err := r.evaluate(ctx, s); err != nil {
			return ctrl.Result{}, nil
		}
	}
	if !r.logged(s, "Applied") {
		if err := r.fence(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.execute(ctx, s); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{}, err
			}
			r.finish(s, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason, err.Error())
			return ctrl.Result{}, nil
		}
		// The children have not reacted yet: judge done and failed on the next event.
		if p := s.operation.Progress; p != nil {
			s.ops.Status.Progress = fmt.Sprintf("%d/%d", p.Current, p.Total)
		}
		return r.requeueForTimeout(s), nil
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
		if op.Message != "" {
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

// fence writes the status, guarded by the resourceVersion, before anything is
// executed: the OpsRequest may come from a cache that has not seen this controller's
// last write (that the operation was applied), and acting on such a read would apply
// it twice. A conflict means the read was stale: nothing is executed and the request
// comes back with fresh data.
func (r *OpsRequestReconciler) fence(ctx context.Context, s *opsScope) error {
	if s.fenced {
		return nil
	}
	r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.RunningReason, "applying the operation")
	return r.commit(ctx, s)
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

// evaluate runs the engine's definition of the operation, a second time with the
// objects its observe names; a failure finishes the operation.
func (r *OpsRequestReconciler) evaluate(ctx context.Context, s *opsScope) error {
	handler := s.provider.Operations()
	ops := s.ops
	if s.startTime != nil && ops.Status.StartTime == nil {
		ops = ops.DeepCopy()
		ops.Status.Phase, ops.Status.StartTime = dbaasv1.OpsRunning, s.startTime
	}
	op, err := handler.Evaluate(s.cluster, ops, s.observed, s.created, nil)
	if err == nil && len(op.Observe) > 0 {
		var lookups map[string]*unstructured.Unstructured
		if lookups, err = r.lookup(ctx, s, op.Observe); err != nil {
			return err
		}
		op, err = handler.Evaluate(s.cluster, ops, s.observed, s.created, lookups)
	}
	if err != nil {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.InvalidParametersReason, err.Error())
		return err
	}
	s.operation = op
	return nil
}

// lookup reads the objects an operation observes; missing ones are left out.
func (r *OpsRequestReconciler) lookup(ctx context.Context, s *opsScope, targets map[string]render.Target) (map[string]*unstructured.Unstructured, error) {
	out := map[string]*unstructured.Unstructured{}
	for name, t := range targets {
		u, err := r.target(s, t)
		if err != nil {
			continue
		}
		err = r.live().Get(ctx, client.ObjectKeyFromObject(u), u)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[name] = u
	}
	return out, nil
}

func (r *OpsRequestReconciler) live() client.Reader {
	if r.Live != nil {
		return r.Live
	}
	return r.Client
}

// timeLeft returns how long a running operation may still run, if it has a timeout.
func (r *OpsRequestReconciler) timeLeft(s *opsScope) (time.Duration, bool) {
	if s.ops.Spec.TimeoutSeconds == nil || s.ops.Status.StartTime == nil {
		return 0, false
	}
	deadline := s.ops.Status.StartTime.Add(time.Duration(*s.ops.Spec.TimeoutSeconds) * time.Second)
	return deadline.Sub(r.Clock.Now()), true
}

// requeueForTimeout wakes the operation up when its timeout expires; everything
// else is driven by events on the children.
func (r *OpsRequestReconciler) requeueForTimeout(s *opsScope) ctrl.Result {
	if remaining, ok := r.timeLeft(s); ok && !s.ops.Status.Phase.Finished() {
		return ctrl.Result{RequeueAfter: remaining + 10*time.Millisecond}
	}
	return ctrl.Result{}
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
