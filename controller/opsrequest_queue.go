package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// clusterRefIndex indexes OpsRequests by spec.clusterRef.
const clusterRefIndex = "spec.clusterRef"

// blocker returns the earliest unfinished queued OpsRequest of the same cluster
// that was created before this one (FIFO by creation time, then name), or nil.
func (r *OpsRequestReconciler) blocker(ctx context.Context, s *opsScope) (*dbaasv1.OpsRequest, error) {
	var list dbaasv1.OpsRequestList
	if err := r.List(ctx, &list, client.InNamespace(s.ops.Namespace), client.MatchingFields{clusterRefIndex: s.ops.Spec.ClusterRef}); err != nil {
		return nil, err
	}
	var first *dbaasv1.OpsRequest
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID == s.ops.UID || other.Status.Phase.Finished() || !before(other, s.ops) {
			continue
		}
		if other.Status.Phase != dbaasv1.OpsRunning && other.Spec.Cancel {
			continue
		}
		if !s.provider.Operations().Queued(string(other.Spec.Type)) {
			continue
		}
		if first == nil || before(other, first) {
			first = other
		}
	}
	return first, nil
}

// before orders OpsRequests by creation time, then by name.
func before(a, b *dbaasv1.OpsRequest) bool {
	ta, tb := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.Name < b.Name
}
