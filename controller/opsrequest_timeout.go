package controller

import (
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// recordTimeout shows the timeout in effect in status: spec.timeoutSeconds, or the
// engine's default for the operation type.
func (r *OpsRequestReconciler) recordTimeout(s *opsScope) {
	if s.ops.Status.TimeoutSeconds != nil {
		return
	}
	seconds := s.ops.Spec.TimeoutSeconds
	if seconds == nil {
		d := int32(s.provider.Engine().OperationTimeout(string(s.ops.Spec.Type)) / time.Second)
		seconds = &d
	}
	s.ops.Status.TimeoutSeconds = seconds
}

// timeout returns the timeout in effect, if known yet.
func timeout(ops *dbaasv1.OpsRequest) (time.Duration, bool) {
	seconds := ops.Status.TimeoutSeconds
	if ops.Spec.TimeoutSeconds != nil {
		seconds = ops.Spec.TimeoutSeconds
	}
	if seconds == nil {
		return 0, false
	}
	return time.Duration(*seconds) * time.Second, true
}

// timeLeft returns how long the operation may still wait, counted from its creation
// while Pending, or run, counted from its start once Running.
func (r *OpsRequestReconciler) timeLeft(s *opsScope) (time.Duration, bool) {
	limit, ok := timeout(s.ops)
	if !ok {
		return 0, false
	}
	since := s.ops.CreationTimestamp.Time
	if s.ops.Status.StartTime != nil {
		since = s.ops.Status.StartTime.Time
	}
	return since.Add(limit).Sub(r.Clock.Now()), true
}

// timedOut finishes an operation that outlived its timeout, and reports whether it
// did.
func (r *OpsRequestReconciler) timedOut(s *opsScope) bool {
	remaining, ok := r.timeLeft(s)
	if !ok || remaining > 0 {
		return false
	}
	limit, _ := timeout(s.ops)
	msg := fmt.Sprintf("the operation did not finish within %ds of its start", int(limit/time.Second))
	if s.ops.Status.StartTime == nil {
		msg = fmt.Sprintf("the operation did not start within %ds of its creation: it waited in the queue all that time", int(limit/time.Second))
	}
	r.finish(s, dbaasv1.OpsTimedOut, dbaasv1.TimedOutReason, msg)
	return true
}

// requeueForTimeout wakes the operation up when its timeout expires; everything
// else is driven by events.
func (r *OpsRequestReconciler) requeueForTimeout(s *opsScope) ctrl.Result {
	if remaining, ok := r.timeLeft(s); ok && !s.ops.Status.Phase.Finished() {
		return ctrl.Result{RequeueAfter: max(remaining, 0) + 10*time.Millisecond}
	}
	return ctrl.Result{}
}
