package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// stalledReasons are the Reconciled reasons that no retry fixes: the user must
// change the spec, the engine, the policy or the children.
var stalledReasons = map[string]bool{
	dbaasv1.EngineNotFoundReason:          true,
	dbaasv1.RenderFailedReason:            true,
	dbaasv1.PolicyDeniedReason:            true,
	dbaasv1.StatusMappingFailedReason:     true,
	dbaasv1.DataBearingChildDroppedReason: true,
	dbaasv1.DataBearingChildMissingReason: true,
	dbaasv1.TakeOverRefusedReason:         true,
}

// setKstatusConditions sets Reconciling and Stalled, the conditions kstatus (Flux,
// kpt) reads beside observedGeneration: the cluster is in progress until it is
// Ready at its current spec, and failed when it is stuck. Paused clusters are
// neither: the operator leaves them alone by request.
func setKstatusConditions(status *dbaasv1.DatabaseClusterStatus, reconciled metav1.Condition, generation int64) {
	stalled := metav1.Condition{Type: dbaasv1.StalledCondition, Status: metav1.ConditionFalse, Reason: "Progressing", ObservedGeneration: generation}
	progressing := metav1.Condition{Type: dbaasv1.ReconcilingCondition, Status: metav1.ConditionTrue, ObservedGeneration: generation}
	ready := meta.FindStatusCondition(status.Conditions, dbaasv1.ReadyCondition)
	converging := meta.IsStatusConditionTrue(status.Conditions, dbaasv1.ProgressingCondition)
	switch {
	case reconciled.Reason == dbaasv1.PausedReason:
		progressing.Status, progressing.Reason, progressing.Message = metav1.ConditionFalse, dbaasv1.PausedReason, reconciled.Message
		stalled.Reason = dbaasv1.PausedReason
	case reconciled.Status == metav1.ConditionFalse && stalledReasons[reconciled.Reason]:
		stalled.Status, stalled.Reason, stalled.Message = metav1.ConditionTrue, reconciled.Reason, reconciled.Message
		progressing.Status, progressing.Reason, progressing.Message = metav1.ConditionFalse, reconciled.Reason, "stalled: "+reconciled.Message
	case status.Phase == dbaasv1.PhaseFailed:
		msg := "the cluster failed"
		if ready != nil {
			msg = ready.Message
		}
		stalled.Status, stalled.Reason, stalled.Message = metav1.ConditionTrue, string(dbaasv1.PhaseFailed), msg
		progressing.Status, progressing.Reason, progressing.Message = metav1.ConditionFalse, string(dbaasv1.PhaseFailed), "stalled: "+msg
	case reconciled.Status != metav1.ConditionTrue:
		progressing.Reason, progressing.Message = reconciled.Reason, reconciled.Message
	case ready == nil || ready.Status != metav1.ConditionTrue || converging:
		progressing.Reason = string(status.Phase)
		progressing.Message = "the cluster is not Ready at its current spec yet"
		if ready != nil && ready.Message != "" {
			progressing.Message += ": " + ready.Message
		}
	default:
		progressing.Status, progressing.Reason, progressing.Message = metav1.ConditionFalse, string(status.Phase), "the cluster is Ready at its current spec"
	}
	if progressing.Reason == "" {
		progressing.Reason = "Reconciling"
	}
	meta.SetStatusCondition(&status.Conditions, progressing)
	meta.SetStatusCondition(&status.Conditions, stalled)
}
