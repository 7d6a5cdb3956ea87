package controller_test

import (
	"context"
	"sync/atomic"
	"testing"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// TestOpsReadsPastALaggingCache: an operation's first reconcile writes its status
// more than once (the plan, then the applied step). A reconcile queued meanwhile
// whose cache shows a version in between reads the request live, so it neither
// plans the operation again nor has its status write refused.
func TestOpsReadsPastALaggingCache(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "lag"))
	createOps(t, newOps(ns, "lag-out", "lag", dbaasv1.OpsHorizontalScaling, scaleTo(3)))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))
	created := getOps(t, ns, "lag-out")
	var planned *dbaasv1.OpsRequest
	r.Hook = func(_ context.Context, point string, ops *dbaasv1.OpsRequest) {
		if point == controller.AfterPlan {
			planned = ops.DeepCopy()
		}
	}
	mustReconcileOps(t, r, ns, "lag-out")
	applied := getOps(t, ns, "lag-out")
	if planned == nil || !applied.Status.Plan.Applied() || applied.ResourceVersion == planned.ResourceVersion {
		t.Fatal("the first reconcile did not write the plan, then the applied step")
	}

	for _, stale := range []struct {
		name string
		read *dbaasv1.OpsRequest
	}{{"planned", planned}, {"created", created}} {
		name := stale.name
		var liveReads *atomic.Int64
		r.Live, liveReads = countingReads(k8s, "OpsRequest")
		r.Client = staleRead(f.client(k8s), stale.read)
		mustReconcileOps(t, r, ns, "lag-out")
		if n := f.conflicts.Load(); n != 0 {
			t.Errorf("%s: %d writes refused with a conflict, want 0", name, n)
		}
		if n := liveReads.Load(); n != 1 {
			t.Errorf("%s: %d live reads of the request, want 1", name, n)
		}
	}
	if n := f.calls("patch", "DatabaseCluster"); n != 1 {
		t.Errorf("the cluster was patched %d times, want 1", n)
	}
}
