package controller_test

import (
	"context"
	"strings"
	"testing"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestOpsBindToTheClusterUID: an operation records the UID of the cluster it first
// sees; when that cluster is deleted and another is created under its name, the
// running operation fails with ClusterReplaced instead of acting on the new one.
func TestOpsBindToTheClusterUID(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pond"))
	first := getCluster(t, ns, "pond").UID
	createOps(t, newOps(ns, "pond-restart", "pond", dbaasv1.OpsRestart))
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "pond-restart")
	if o := getOps(t, ns, "pond-restart"); o.Status.ClusterUID != first || o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("status.clusterUID = %q, phase %s; want %q, Running", o.Status.ClusterUID, o.Status.Phase, first)
	}

	// The cluster goes (its finalizer released as the cluster reconciler would) and
	// comes back under the same name.
	c := getCluster(t, ns, "pond")
	c.Finalizers = nil
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, newCluster(ns, "pond")); err != nil {
		t.Fatal(err)
	}
	mustReconcileOps(t, r, ns, "pond-restart")
	o := getOps(t, ns, "pond-restart")
	wantFinished(t, o, dbaasv1.OpsFailed, dbaasv1.ClusterReplacedReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, string(first)) {
		t.Fatalf("message %q does not name the cluster that is gone (%s)", msg, first)
	}
}

// TestOpsWaitWhileTheClusterIsPaused: an operation on a paused cluster waits,
// and its Queued condition says why; it starts once the cluster is resumed.
func TestOpsWaitWhileTheClusterIsPaused(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pond"))
	c := getCluster(t, ns, "pond")
	c.Spec.Paused = true
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	createOps(t, newOps(ns, "pond-scale", "pond", dbaasv1.OpsHorizontalScaling, scaleTo(2)))
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "pond-scale")
	o := getOps(t, ns, "pond-scale")
	if q := condition(t, o, dbaasv1.OpsQueuedCondition); o.Status.Phase != dbaasv1.OpsPending || q.Reason != dbaasv1.ClusterPausedReason || !strings.Contains(q.Message, "paused") {
		t.Fatalf("phase %s, Queued %s: %s; want Pending, ClusterPaused", o.Status.Phase, q.Reason, q.Message)
	}
	if getCluster(t, ns, "pond").Spec.ClusterSize != nil {
		t.Fatal("the operation changed a paused cluster")
	}

	c = getCluster(t, ns, "pond")
	c.Spec.Paused = false
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	mustReconcileOps(t, r, ns, "pond-scale")
	if o := getOps(t, ns, "pond-scale"); o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("phase %s once the cluster is resumed, want Running", o.Status.Phase)
	}
}

// TestOpsPendingOnADeletingClusterFails: a pending operation on a cluster that is
// being deleted fails with ClusterDeleting.
func TestOpsPendingOnADeletingClusterFails(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pond"))
	// A finalizer holds the cluster while it is deleted.
	c := getCluster(t, ns, "pond")
	c.Finalizers = append(c.Finalizers, "test.dbaas.io/hold")
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	createOps(t, newOps(ns, "pond-scale", "pond", dbaasv1.OpsHorizontalScaling, scaleTo(2)))
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "pond-scale")
	wantFinished(t, getOps(t, ns, "pond-scale"), dbaasv1.OpsFailed, dbaasv1.ClusterDeletingReason)
}
