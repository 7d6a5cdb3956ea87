package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// loadCluster finds the cluster and its engine, and binds the operation to the
// cluster's UID the first time it sees it. It finishes the operation, and reports
// so, when the cluster is missing or was replaced by another of the same name, when
// a pending operation's cluster is being deleted, or when the engine is missing or
// lacks the operation.
func (r *OpsRequestReconciler) loadCluster(ctx context.Context, s *opsScope) (bool, error) {
	s.cluster = &dbaasv1.DatabaseCluster{}
	err := r.Get(ctx, client.ObjectKey{Namespace: s.ops.Namespace, Name: s.ops.Spec.ClusterRef}, s.cluster)
	if apierrors.IsNotFound(err) {
		msg := fmt.Sprintf("DatabaseCluster %q does not exist in namespace %s", s.ops.Spec.ClusterRef, s.ops.Namespace)
		if uid := s.ops.Status.ClusterUID; uid != "" {
			msg = fmt.Sprintf("DatabaseCluster %q (uid %s) was deleted", s.ops.Spec.ClusterRef, uid)
		}
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ClusterNotFoundReason, msg)
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("cannot read DatabaseCluster %s: %w", s.ops.Spec.ClusterRef, err)
	}
	switch uid := s.ops.Status.ClusterUID; {
	case uid == "":
		s.ops.Status.ClusterUID = s.cluster.UID
	case uid != s.cluster.UID:
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ClusterReplacedReason, fmt.Sprintf(
			"DatabaseCluster %s was deleted and created again (uid %s, now %s): the operation was for the cluster that is gone",
			s.cluster.Name, uid, s.cluster.UID))
		return true, nil
	}
	if s.ops.Status.Phase == dbaasv1.OpsPending && s.cluster.DeletionTimestamp != nil {
		r.finish(s, dbaasv1.OpsFailed, dbaasv1.ClusterDeletingReason, fmt.Sprintf("DatabaseCluster %s is being deleted", s.cluster.Name))
		return true, nil
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
	r.recordTimeout(s)
	return false, nil
}

// paused says that the operation waits while the cluster has spec.paused, and
// reports whether it does: a paused cluster applies nothing, so an operation would
// change nothing or be judged on a child nobody reconciles.
func (r *OpsRequestReconciler) paused(s *opsScope) bool {
	if !s.cluster.Spec.Paused {
		return false
	}
	msg := fmt.Sprintf("DatabaseCluster %s is paused (spec.paused): the operation waits until it is resumed", s.cluster.Name)
	condition := dbaasv1.OpsProgressingCondition
	if s.ops.Status.Phase == dbaasv1.OpsPending {
		condition = dbaasv1.OpsQueuedCondition
	}
	r.setCondition(s, condition, metav1.ConditionTrue, dbaasv1.ClusterPausedReason, msg)
	return true
}
