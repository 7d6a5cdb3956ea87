package controller

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// writeStatus is the one status write of a reconcile: it maps the children with the
// engine (whose conditions replace those it reported before), keeps the records the
// phases made, adds the Reconciled, Reconciling and Stalled conditions, and patches
// only when something changed. It is guarded by the resourceVersion: Reconcile
// retries a conflict with fresh data.
func (r *DatabaseClusterReconciler) writeStatus(ctx context.Context, s *clusterScope) error {
	status := &s.cluster.Status
	generation := s.cluster.Generation
	if s.provider != nil && s.prepared != nil {
		mapped, err := s.provider.Status(s.prepared, s.observed, s.backups)
		if err != nil {
			s.halt(dbaasv1.StatusMappingFailedReason, err.Error())
		} else {
			kept := *status
			*status = mapped.DatabaseClusterStatus
			status.Conditions, status.DataBearing, status.OneShots = kept.Conditions, kept.DataBearing, kept.OneShots
			dropUnreported(&status.Conditions, mapped.Conditions)
			for _, c := range bind(s, status, kept, mapped.Conditions) {
				c.ObservedGeneration = generation
				meta.SetStatusCondition(&status.Conditions, c)
			}
			r.completeOneShots(s, mapped.FinishedOneShots)
			r.judgeBackupHealth(s)
		}
	}
	if s.result != nil {
		status.Version = s.result.Resolved.Version
		status.Image = s.result.Resolved.Image
	} else {
		status.Version, status.Image = s.original.Status.Version, s.original.Status.Image
	}
	if status.Instances > 0 || status.ReadyInstances > 0 {
		status.Ready = fmt.Sprintf("%d/%d", status.ReadyInstances, status.Instances)
	}
	reconciled := metav1.Condition{Type: dbaasv1.ReconciledCondition, Status: metav1.ConditionTrue, ObservedGeneration: generation}
	if o := s.reconciled; o != nil {
		reconciled.Reason, reconciled.Message = o.reason, o.message
		if !o.ok {
			reconciled.Status = metav1.ConditionFalse
		}
	} else {
		reconciled.Status, reconciled.Reason, reconciled.Message = metav1.ConditionUnknown, "Reconciling", "the reconcile did not finish"
	}
	meta.SetStatusCondition(&status.Conditions, reconciled)
	if s.provider == nil {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: dbaasv1.ReadyCondition, Status: metav1.ConditionFalse,
			Reason: reconciled.Reason, Message: reconciled.Message, ObservedGeneration: generation})
		status.Phase = dbaasv1.PhaseFailed
	}
	setKstatusConditions(status, reconciled, generation)
	status.ObservedGeneration = generation

	if equality.Semantic.DeepEqual(s.original.Status, *status) {
		return nil
	}
	patch := client.MergeFromWithOptions(s.original, client.MergeFromWithOptimisticLock{})
	done := r.own.begin(s.original)
	err := r.Status().Patch(ctx, s.cluster, patch)
	done(s.cluster, err)
	if err != nil {
		return fmt.Errorf("cannot write the status of %s: %w", s.cluster.Name, err)
	}
	r.announceBackupHealth(s)
	return nil
}

// completeOneShots records the one-shots the engine reports finished.
func (r *DatabaseClusterReconciler) completeOneShots(s *clusterScope, finished []string) {
	for i := range s.cluster.Status.OneShots {
		o := &s.cluster.Status.OneShots[i]
		if o.Phase != dbaasv1.OneShotCompleted && slices.Contains(finished, o.Key) && s.observes(o.UID) {
			o.Phase, o.LastTransitionTime = dbaasv1.OneShotCompleted, r.now()
		}
	}
}
