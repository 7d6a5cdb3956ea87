package controller

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// cancelRunning handles spec.cancel on a running operation, and reports whether the
// operation ended. With a rollback in its plan, the rollback is marked Started
// (guarded by the resourceVersion, like any step), applied, and the operation ends
// Cancelled; the cluster then converges back. Without one, the operation says why
// it cannot be cancelled and goes on.
func (r *OpsRequestReconciler) cancelRunning(ctx context.Context, s *opsScope) (bool, error) {
	rollback := s.ops.Status.Plan.Rollback
	if rollback == nil {
		if !r.logged(s, "CancelRefused") {
			msg := fmt.Sprintf("a running %s cannot be cancelled: engine %s declares no safe way back from it; it runs until it succeeds, fails or times out",
				s.ops.Spec.Type, s.cluster.Spec.Engine)
			r.log(s, "CancelRefused", msg)
			r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionTrue, dbaasv1.CancelRefusedReason, msg)
		}
		return false, nil
	}
	fresh := false
	if rollback.State == dbaasv1.OpsStepPending {
		rollback.State, fresh = dbaasv1.OpsStepStarted, true
		r.log(s, "CancelRequested", "rolling back the spec the operation changed")
	}
	// The write that records the rollback Started is the fence of this reconcile.
	r.at(ctx, BeforeFence, s)
	s.force = true
	if err := r.commit(ctx, s); err != nil {
		return false, err
	}
	// The write decoded the status anew.
	rollback = s.ops.Status.Plan.Rollback
	r.at(ctx, BeforeRollback, s)
	msg, err := r.runStep(withStep(ctx, StepRef{OpsRequest: s.ops.UID, Step: RollbackStep, Name: rollback.Name}), s, rollback, !fresh)
	if isPermanent(err) {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason, fmt.Sprintf("the rollback (%s) failed: %v", rollback.Name, err))
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("rollback (%s): %w", rollback.Name, err)
	}
	r.at(ctx, AfterRollback, s)
	rollback.State, rollback.Message = dbaasv1.OpsStepDone, msg
	r.log(s, "RolledBack", fmt.Sprintf("DatabaseCluster %s: %s", s.cluster.Name, rollback.Patch.Raw))
	r.finish(s, dbaasv1.OpsCancelled, dbaasv1.CancelledReason,
		fmt.Sprintf("cancelled while running: the spec of DatabaseCluster %s was rolled back; the cluster converges back", s.cluster.Name))
	return true, nil
}
