package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
)

// observe reads the cluster's children and the objects the operation created. The
// latter are found by the OpsRequest's UID, never by its name: an OpsRequest that
// reuses an earlier one's name does not see that one's objects as its own.
func (r *OpsRequestReconciler) observe(ctx context.Context, s *opsScope) error {
	kinds := s.provider.Engine().Kinds
	var err error
	s.observed, err = apply.Owned(ctx, r.Client, kinds, s.cluster.Namespace,
		map[string]string{dbaasv1.ClusterLabel: s.cluster.Name}, s.cluster.UID)
	if err != nil {
		return err
	}
	created := append([]schema.GroupVersionKind{dbaasv1.GroupVersion.WithKind("DatabaseCluster")}, kinds...)
	s.created, err = apply.Labelled(ctx, r.Client, created, s.ops.Namespace, map[string]string{dbaasv1.OpsRequestUIDLabel: string(s.ops.UID)})
	return err
}
