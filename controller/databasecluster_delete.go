package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/provider"
)

// reconcileDelete runs the engine's cleanup and removes the finalizer once no child
// is left. An engine that is no longer loaded cannot clean up: the finalizer stays
// and the condition says why, rather than leaking or destroying data blindly.
func (r *DatabaseClusterReconciler) reconcileDelete(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(s.cluster, dbaasv1.Finalizer) {
		return ctrl.Result{}, nil
	}
	p, err := r.Providers.Get(s.cluster.Spec.Engine)
	if err != nil {
		s.halt(dbaasv1.EngineNotFoundReason, "cannot clean up: "+err.Error())
		s.cluster.Status.Phase = dbaasv1.PhaseDeleting
		return ctrl.Result{}, r.writeDeletingStatus(ctx, s)
	}
	s.provider = p
	in, err := provider.ClusterInput(s.cluster)
	if err != nil {
		return ctrl.Result{}, err
	}
	prepared := &provider.Prepared{Cluster: s.cluster}
	prepared.Input.Cluster = in
	observed, err := apply.Owned(ctx, r.Client, p.Engine().Kinds, s.cluster.Namespace,
		map[string]string{dbaasv1.ClusterLabel: s.cluster.Name}, s.cluster.UID)
	if err != nil {
		return ctrl.Result{}, err
	}
	remaining, err := p.Cleanup(ctx, r.Client, prepared, observed)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot clean up %s: %w", s.cluster.Name, err)
	}
	if remaining > 0 {
		s.cluster.Status.Phase = dbaasv1.PhaseDeleting
		if err := r.writeDeletingStatus(ctx, s); err != nil {
			return ctrl.Result{}, err
		}
		// Children are watched, but their deletion may wait on their own finalizers.
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	r.Recorder.Eventf(s.cluster, nil, corev1.EventTypeNormal, "CleanedUp", "Delete", "children cleaned up with deletionPolicy %s", policyName(s.cluster))
	patch := client.MergeFrom(s.cluster.DeepCopy())
	controllerutil.RemoveFinalizer(s.cluster, dbaasv1.Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Patch(ctx, s.cluster, patch))
}

// writeDeletingStatus reports the Deleting phase while cleanup runs.
func (r *DatabaseClusterReconciler) writeDeletingStatus(ctx context.Context, s *clusterScope) error {
	if s.original.Status.Phase == s.cluster.Status.Phase {
		return nil
	}
	patch := client.MergeFrom(s.original)
	return client.IgnoreNotFound(r.Status().Patch(ctx, s.cluster, patch))
}

func policyName(c *dbaasv1.DatabaseCluster) dbaasv1.DeletionPolicy {
	if c.Spec.DeletionPolicy == "" {
		return dbaasv1.DeletionPolicyDelete
	}
	return c.Spec.DeletionPolicy
}
