package controller

import (
	"context"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// ClusterPolicy decides whether a cluster and its rendered children may be applied.
// It returns one message per violation; none means allowed.
type ClusterPolicy interface {
	Denials(ctx context.Context, cluster *dbaasv1.DatabaseCluster, engine *render.Engine, rendered []map[string]any) ([]string, error)
}

// OpsPolicy decides whether an operation may run on a cluster. It returns one
// message per violation; none means allowed.
type OpsPolicy interface {
	Denials(ctx context.Context, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster, engine *render.Engine) ([]string, error)
}
