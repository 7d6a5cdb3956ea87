package controller

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// judgeBackupHealth sets the BackupHealthy condition from the mapped backup status,
// notes a transition to announce once it is written, and when to look again: the
// moment the backups go stale.
func (r *DatabaseClusterReconciler) judgeBackupHealth(s *clusterScope) {
	status := &s.cluster.Status
	now := r.now().Time
	previous := meta.FindStatusCondition(s.original.Status.Conditions, dbaasv1.BackupHealthyCondition)
	// awaitingSince is when the cluster started waiting for its first backup: the
	// time it was first judged to be waiting, else now; a cluster already stale
	// without any backup stays so (the zero time is long past).
	awaitingSince := now
	switch {
	case previous == nil:
	case previous.Reason == dbaasv1.AwaitingFirstBackupReason:
		awaitingSince = previous.LastTransitionTime.Time
	case previous.Reason == dbaasv1.BackupStaleReason:
		awaitingSince = time.Time{}
	}
	verdict := judgeBackups(status.Backup, awaitingSince, now)
	if verdict.condition == nil {
		meta.RemoveStatusCondition(&status.Conditions, dbaasv1.BackupHealthyCondition)
		return
	}
	c := *verdict.condition
	c.ObservedGeneration = s.cluster.Generation
	c.LastTransitionTime = metav1.NewTime(now)
	meta.SetStatusCondition(&status.Conditions, c)
	if previous == nil || previous.Status != c.Status || previous.Reason != c.Reason {
		s.backupEvent = &c
	}
	if !verdict.staleAt.IsZero() {
		// A second past the moment, so that the reconcile then finds it stale.
		s.backupRequeue = verdict.staleAt.Sub(now) + time.Second
	}
}

// announceBackupHealth emits one Event for the BackupHealthy transition the
// written status records: a Warning when backups failed or went stale, a Normal
// one when they recovered. Waiting for the first backup is not announced.
func (r *DatabaseClusterReconciler) announceBackupHealth(s *clusterScope) {
	c := s.backupEvent
	s.backupEvent = nil
	switch {
	case c == nil:
	case c.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeWarning, c.Reason, "Backup", "%s", c.Message)
	case c.Status == metav1.ConditionTrue && meta.IsStatusConditionFalse(s.original.Status.Conditions, dbaasv1.BackupHealthyCondition):
		r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, c.Reason, "Backup", "%s", c.Message)
	}
}
