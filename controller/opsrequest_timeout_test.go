package controller_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestOpsPendingTimeout: an operation that waits in the queue longer than its
// timeout, counted from its creation, ends TimedOut and says it never started.
func TestOpsPendingTimeout(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "farm"))
	createOps(t, newOps(ns, "farm-1-scale", "farm", dbaasv1.OpsHorizontalScaling, scaleTo(3)))
	createOps(t, newOps(ns, "farm-2-grow", "farm", dbaasv1.OpsVolumeExpansion, func(o *dbaasv1.OpsRequest) {
		o.Spec.VolumeExpansion = &dbaasv1.VolumeExpansion{Size: resource.MustParse("2Gi")}
		o.Spec.TimeoutSeconds = ptr[int32](60)
	}))
	r, clock := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "farm-1-scale")
	res := mustReconcileOps(t, r, ns, "farm-2-grow")
	o := getOps(t, ns, "farm-2-grow")
	if o.Status.Phase != dbaasv1.OpsPending || condition(t, o, dbaasv1.OpsQueuedCondition).Reason != dbaasv1.WaitingReason {
		t.Fatalf("phase %s, conditions %+v; want Pending, queued behind farm-1-scale", o.Status.Phase, o.Status.Conditions)
	}
	if res.RequeueAfter <= 0 || res.RequeueAfter > 61*time.Second {
		t.Fatalf("a queued operation comes back after %s, want at its timeout (60s at most)", res.RequeueAfter)
	}

	clock.Step(61 * time.Second)
	mustReconcileOps(t, r, ns, "farm-2-grow")
	o = getOps(t, ns, "farm-2-grow")
	wantFinished(t, o, dbaasv1.OpsTimedOut, dbaasv1.TimedOutReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "did not start within 60s") {
		t.Fatalf("message %q does not say the operation never started", msg)
	}
	if getCluster(t, ns, "farm").Spec.Storage.Size.String() != "1Gi" {
		t.Fatal("the timed-out operation changed the cluster")
	}
}

// TestOpsDefaultTimeout: an operation without spec.timeoutSeconds gets the engine's
// default for its type, shown in status, and times out after it.
func TestOpsDefaultTimeout(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "farm"))
	createOps(t, newOps(ns, "farm-scale", "farm", dbaasv1.OpsHorizontalScaling, scaleTo(3)))
	r, clock := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "farm-scale")
	o := getOps(t, ns, "farm-scale")
	if o.Status.TimeoutSeconds == nil || *o.Status.TimeoutSeconds != 3600 {
		t.Fatalf("status.timeoutSeconds = %v, want the engine's default of 3600", o.Status.TimeoutSeconds)
	}
	if o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("phase %s, want Running", o.Status.Phase)
	}

	clock.Step(3599 * time.Second)
	mustReconcileOps(t, r, ns, "farm-scale")
	if o := getOps(t, ns, "farm-scale"); o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("phase %s before the default timeout, want Running", o.Status.Phase)
	}
	clock.Step(2 * time.Second)
	mustReconcileOps(t, r, ns, "farm-scale")
	o = getOps(t, ns, "farm-scale")
	wantFinished(t, o, dbaasv1.OpsTimedOut, dbaasv1.TimedOutReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "did not finish within 3600s of its start") {
		t.Fatalf("message %q", msg)
	}
}
