package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// log appends an entry to the bounded action log; it becomes an Event once the
// status is written.
func (r *OpsRequestReconciler) log(s *opsScope, action, message string) {
	entry := dbaasv1.OpsAction{Time: metav1.NewTime(r.Clock.Now()), Action: action, Message: message}
	actions := append(s.ops.Status.Actions, entry)
	for drop := len(actions) - dbaasv1.MaxOpsActions; drop > 0; drop-- {
		actions = dropOldest(actions)
	}
	s.ops.Status.Actions = actions
	s.logged = append(s.logged, entry)
}

// dropOldest removes the oldest entry that the operation's state does not depend on.
func dropOldest(actions []dbaasv1.OpsAction) []dbaasv1.OpsAction {
	for i, a := range actions {
		if a.Action != "Applied" && a.Action != "Reached" {
			return append(actions[:i:i], actions[i+1:]...)
		}
	}
	return actions[1:]
}

// logged reports whether the action log has an entry for action.
func (r *OpsRequestReconciler) logged(s *opsScope, action string) bool {
	for _, a := range s.ops.Status.Actions {
		if a.Action == action {
			return true
		}
	}
	return false
}

// finish ends the operation in a final phase.
func (r *OpsRequestReconciler) finish(s *opsScope, phase dbaasv1.OpsPhase, reason, message string) {
	now := metav1.NewTime(r.Clock.Now())
	s.ops.Status.Phase = phase
	s.ops.Status.CompletionTime = &now
	status := metav1.ConditionFalse
	if phase == dbaasv1.OpsSucceeded {
		status = metav1.ConditionTrue
	}
	r.setCondition(s, dbaasv1.OpsSucceededCondition, status, reason, message)
	r.setCondition(s, dbaasv1.OpsProgressingCondition, metav1.ConditionFalse, reason, message)
	if meta.FindStatusCondition(s.ops.Status.Conditions, dbaasv1.OpsQueuedCondition) != nil {
		r.setCondition(s, dbaasv1.OpsQueuedCondition, metav1.ConditionFalse, reason, "the operation finished")
	}
	r.log(s, string(phase), message)
}

// setCondition sets one condition of the OpsRequest.
func (r *OpsRequestReconciler) setCondition(s *opsScope, condition string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&s.ops.Status.Conditions, metav1.Condition{
		Type: condition, Status: status, Reason: reason, Message: message, ObservedGeneration: s.ops.Generation,
	})
}

// writeOpsStatus writes the status. It is skipped when nothing changed, unless
// s.force asks for it, and guarded by the resourceVersion: a conflict is retried
// with fresh data. It is an update, not a merge patch: the plan's patches hold
// nulls (a field to remove), which a merge patch would take for removals of its
// own. The actions logged since the last write are mirrored as Events after the
// write.
func (r *OpsRequestReconciler) writeOpsStatus(ctx context.Context, s *opsScope) error {
	if !s.force && equality.Semantic.DeepEqual(s.original.Status, s.ops.Status) {
		return nil
	}
	s.force = false
	ends := endsNow(s)
	done := r.own.begin(s.ops)
	err := r.Status().Update(ctx, s.ops)
	done(s.ops, err)
	if err != nil {
		return fmt.Errorf("cannot write the status of OpsRequest %s: %w", s.ops.Name, err)
	}
	if ends {
		recordEnded(s)
	}
	for _, a := range s.logged {
		eventType := corev1.EventTypeNormal
		if a.Action == string(dbaasv1.OpsFailed) || a.Action == string(dbaasv1.OpsTimedOut) {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(s.ops, nil, eventType, a.Action, string(s.ops.Spec.Type), "%s", a.Message)
	}
	return nil
}
