package controller

import (
	"context"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/render"
)

// ClusterPolicy decides whether a cluster and its rendered children may be applied.
// *policy.Gate implements it.
type ClusterPolicy interface {
	Cluster(ctx context.Context, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, rendered []map[string]any) (policy.Decision, error)
}

// OpsPolicy decides whether an operation may run on a cluster. *policy.Gate
// implements it.
type OpsPolicy interface {
	Ops(ctx context.Context, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, specPatch map[string]any) (policy.Decision, error)
}
