package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/provider"
)

// bindingState is the binding Secret as the last apply wrote it.
type bindingState struct {
	// name is the Secret's name.
	name string
	// missing are the keys it lacks because their source does not exist yet.
	missing []provider.MissingSecretData
}

// bind reports the engine's binding Secret in status and returns the engine's
// conditions adjusted to it. connectionSecret names the Secret as soon as it is
// applied; binding names it only once it has every key the engine declares. While
// it lacks one, a child the engine reports Ready is not: the application has no
// credentials yet, so Ready is False with reason BindingIncomplete and a phase Ready
// reads Creating. A reconcile that applied nothing (paused, denied) keeps what the
// last one reported.
func bind(s *clusterScope, status *dbaasv1.DatabaseClusterStatus, kept dbaasv1.DatabaseClusterStatus, conditions []metav1.Condition) []metav1.Condition {
	if s.provider == nil || s.provider.Engine().Binding == "" {
		return conditions
	}
	b := s.binding
	if b == nil {
		status.ConnectionSecret, status.Binding = kept.ConnectionSecret, kept.Binding
		return conditions
	}
	status.ConnectionSecret = b.name
	if len(b.missing) == 0 {
		status.Binding = &dbaasv1.BindingReference{Name: b.name}
		return conditions
	}
	status.Binding = nil
	if status.Phase == dbaasv1.PhaseReady {
		status.Phase = dbaasv1.PhaseCreating
	}
	out := make([]metav1.Condition, 0, len(conditions))
	for _, c := range conditions {
		if c.Type == dbaasv1.ReadyCondition && c.Status == metav1.ConditionTrue {
			c.Status, c.Reason, c.Message = metav1.ConditionFalse, dbaasv1.BindingIncompleteReason, provider.MissingMessage(b.name, b.missing)
		}
		out = append(out, c)
	}
	return out
}
