package controller_test

import (
	"context"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestOpsFreshPatchUsesTheReadCluster: the spec patch of a step that never ran is
// guarded by the version of the cluster the reconcile read, without reading it
// live. When that read lags (the cluster was labelled since), the patch is refused,
// the live cluster is read and patched, and the change lands.
func TestOpsFreshPatchUsesTheReadCluster(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	for _, tc := range []struct {
		name       string
		stale      bool
		liveReads  int64
		conflicted int64
	}{
		{name: "current", liveReads: 0, conflicted: 0},
		{name: "lagging", stale: true, liveReads: 1, conflicted: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readyCluster(t, newCluster(ns, tc.name))
			var c client.WithWatch = k8s
			if tc.stale {
				read := &dbaasv1.DatabaseCluster{}
				if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: tc.name}, read); err != nil {
					t.Fatal(err)
				}
				labelled := read.DeepCopy()
				labelled.Labels = map[string]string{"team": "payments"}
				if err := k8s.Update(ctx, labelled); err != nil {
					t.Fatal(err)
				}
				c = staleRead(k8s, read)
			}
			createOps(t, newOps(ns, tc.name+"-out", tc.name, dbaasv1.OpsHorizontalScaling, scaleTo(3)))
			f := &faults{}
			r, _ := opsReconciler(t, f.client(c))
			var liveReads *atomic.Int64
			r.Live, liveReads = countingClusterReads(k8s)
			mustReconcileOps(t, r, ns, tc.name+"-out")

			if !getOps(t, ns, tc.name+"-out").Status.Plan.Applied() {
				t.Fatal("the spec patch did not run")
			}
			cluster := &dbaasv1.DatabaseCluster{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: tc.name}, cluster); err != nil {
				t.Fatal(err)
			}
			if size := cluster.Spec.ClusterSize; size == nil || *size != 3 {
				t.Errorf("clusterSize %v, want 3", size)
			}
			if n := liveReads.Load(); n != tc.liveReads {
				t.Errorf("%d live reads of the cluster, want %d", n, tc.liveReads)
			}
			if n := f.conflicts.Load(); n != tc.conflicted {
				t.Errorf("%d conflicts, want %d", n, tc.conflicted)
			}
			if n := f.calls("patch", "DatabaseCluster"); n != 1 {
				t.Errorf("the cluster was patched %d times, want 1", n)
			}
		})
	}
}
