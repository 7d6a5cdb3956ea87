package controller_test

import (
	"context"
	"sync/atomic"
	"testing"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/simulate"
)

// TestReconcileReadsPastALaggingCache: a reconcile whose cache still shows the
// version of the cluster its last status write replaced (it was queued while that
// reconcile ran) reads the cluster live, so its own status write is not refused and
// it needs no reconcile after it.
func TestReconcileReadsPastALaggingCache(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	// Created with the finalizer, as the webhook adds it: the first reconcile's one
	// write of the cluster is its status.
	c := newCluster(ns, "lag")
	c.Finalizers = []string{dbaasv1.Finalizer}
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	lagging := getCluster(t, ns, "lag")
	registry := embeddedRegistry(t)
	f := &faults{}
	r := reconciler(f.client(k8s), registry)
	reconcile(t, r, ns, "lag")
	if getCluster(t, ns, "lag").ResourceVersion == lagging.ResourceVersion {
		t.Fatal("the first reconcile wrote no status")
	}
	sim, err := simulate.New(k8s, registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Cluster(ctx, ns, "lag", "healthy"); err != nil {
		t.Fatal(err)
	}

	var liveReads *atomic.Int64
	r.Live, liveReads = countingClusterReads(k8s)
	r.Client = staleRead(f.client(k8s), lagging)
	if res := reconcile(t, r, ns, "lag"); res.RequeueAfter != 0 {
		t.Errorf("requeued after %s, want no requeue", res.RequeueAfter)
	}
	if n := f.conflicts.Load(); n != 0 {
		t.Errorf("%d writes refused with a conflict, want 0", n)
	}
	if n := liveReads.Load(); n != 1 {
		t.Errorf("%d live reads of the cluster, want 1", n)
	}
	if phase := getCluster(t, ns, "lag").Status.Phase; phase != dbaasv1.PhaseReady {
		t.Errorf("phase %q, want Ready", phase)
	}
}
