package controller_test

import (
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestOpsRetryTransientErrors: a throttled read and a spec patch that fails with
// 503 twice are retried (the error goes back to controller-runtime, which backs
// off); the operation keeps running, and the patch lands once.
func TestOpsRetryTransientErrors(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pets"))
	createOps(t, newOps(ns, "pets-out", "pets", dbaasv1.OpsHorizontalScaling, scaleTo(3)))
	f := &faults{}
	f.fail("get", "DatabaseCluster", 1, apierrors.NewTooManyRequests("slow down", 1))
	f.fail("patch", "DatabaseCluster", 2, apierrors.NewServiceUnavailable("etcd is busy"))
	r, _ := opsReconciler(t, f.client(k8s))

	if _, err := reconcileOps(r, ns, "pets-out"); !apierrors.IsTooManyRequests(err) {
		t.Fatalf("a throttled read: err = %v, want it returned to be retried", err)
	}
	for range 2 {
		_, err := reconcileOps(r, ns, "pets-out")
		if !apierrors.IsServiceUnavailable(err) {
			t.Fatalf("a spec patch that failed with 503: err = %v, want it returned to be retried", err)
		}
		o := getOps(t, ns, "pets-out")
		if o.Status.Phase != dbaasv1.OpsRunning || o.Status.Plan.Steps[0].State != dbaasv1.OpsStepStarted {
			t.Fatalf("after a 503: phase %s, step %+v; want Running with the spec patch Started", o.Status.Phase, o.Status.Plan.Steps)
		}
	}
	mustReconcileOps(t, r, ns, "pets-out")
	o := getOps(t, ns, "pets-out")
	if !o.Status.Plan.Applied() || o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("phase %s, steps %+v; want the plan applied and the operation running", o.Status.Phase, o.Status.Plan.Steps)
	}
	if size := getCluster(t, ns, "pets").Spec.ClusterSize; size == nil || *size != 3 {
		t.Fatalf("spec.clusterSize = %v, want 3", size)
	}
	if n := f.calls("patch", "DatabaseCluster"); n != 1 {
		t.Fatalf("the spec patch went through %d times, want 1", n)
	}
}

// TestOpsPermanentErrorFails: a forbidden spec patch fails the operation at once,
// and the condition names the step and the error.
func TestOpsPermanentErrorFails(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pets"))
	createOps(t, newOps(ns, "pets-out", "pets", dbaasv1.OpsHorizontalScaling, scaleTo(3)))
	f := &faults{}
	gr := schema.GroupResource{Group: dbaasv1.GroupVersion.Group, Resource: "databaseclusters"}
	f.fail("patch", "DatabaseCluster", 1, apierrors.NewForbidden(gr, "pets", errors.New("RBAC says no")))
	r, _ := opsReconciler(t, f.client(k8s))

	mustReconcileOps(t, r, ns, "pets-out")
	o := getOps(t, ns, "pets-out")
	wantFinished(t, o, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason)
	msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message
	for _, want := range []string{"step 0 (patch the spec of DatabaseCluster pets)", "forbidden", "RBAC says no"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
}

// TestOpsLookupErrorIsRetried: a read of an object the operation observes (the PVC
// a RebuildInstance waits for) that fails is returned to be retried, not swallowed;
// the operation starts on the next try.
func TestOpsLookupErrorIsRetried(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pets", withSize(3)))
	instance(t, ns, "pets-3")
	createOps(t, newOps(ns, "pets-rebuild", "pets", dbaasv1.OpsRebuildInstance, rebuild("pets-3")))
	f := &faults{}
	f.fail("get", "PersistentVolumeClaim", 1, apierrors.NewInternalError(errors.New("etcd timed out")))
	r, _ := opsReconciler(t, f.client(k8s))

	if _, err := reconcileOps(r, ns, "pets-rebuild"); !apierrors.IsInternalError(err) {
		t.Fatalf("a failed lookup: err = %v, want it returned to be retried", err)
	}
	if o := getOps(t, ns, "pets-rebuild"); o.Status.Phase.Finished() {
		t.Fatalf("a failed lookup finished the operation: %+v", o.Status.Conditions)
	}
	mustReconcileOps(t, r, ns, "pets-rebuild")
	if o := getOps(t, ns, "pets-rebuild"); !o.Status.Plan.Applied() {
		t.Fatalf("the retry did not run the plan: %+v", o.Status)
	}
}

// withSize sets spec.clusterSize.
func withSize(n int32) clusterOption {
	return func(c *dbaasv1.DatabaseCluster) { c.Spec.ClusterSize = &n }
}

// rebuild makes a RebuildInstance of an instance.
func rebuild(instance string) opsOption {
	return func(o *dbaasv1.OpsRequest) { o.Spec.RebuildInstance = &dbaasv1.RebuildInstance{Instance: instance} }
}
