package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// clusterRefIndex indexes OpsRequests by spec.clusterRef.
const clusterRefIndex = "spec.clusterRef"

// blocker returns what this OpsRequest waits for: a queued OpsRequest of the same
// cluster that is running, or else the earliest pending one created before it (FIFO
// by creation time, then name); nil when it is at the head of the queue. Dry runs
// hold no place in it.
func (r *OpsRequestReconciler) blocker(ctx context.Context, s *opsScope) (*dbaasv1.OpsRequest, error) {
	var list dbaasv1.OpsRequestList
	if err := r.List(ctx, &list, client.InNamespace(s.ops.Namespace), client.MatchingFields{clusterRefIndex: s.ops.Spec.ClusterRef}); err != nil {
		return nil, err
	}
	var first *dbaasv1.OpsRequest
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID == s.ops.UID || other.Status.Phase.Finished() || other.Spec.DryRun || !s.provider.Operations().Queued(string(other.Spec.Type)) {
			continue
		}
		if other.Status.Phase == dbaasv1.OpsRunning {
			return other, nil
		}
		if other.Spec.Cancel || !before(other, s.ops) {
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
