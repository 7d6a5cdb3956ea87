package controller_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// cancel sets spec.cancel on an OpsRequest.
func cancel(t *testing.T, ns, name string) {
	t.Helper()
	o := getOps(t, ns, name)
	o.Spec.Cancel = true
	if err := k8s.Update(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// TestOpsCancelRunsTheRollback: a running VerticalScaling is cancelled: the rollback
// recorded in its plan gives the resources back their values before the operation
// (removing the one the cluster had not set), once, and the operation ends Cancelled.
func TestOpsCancelRunsTheRollback(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "shelf", func(c *dbaasv1.DatabaseCluster) {
		c.Spec.Resources = dbaasv1.Resources{Requests: map[corev1.ResourceName]resource.Quantity{"cpu": resource.MustParse("1")}}
	}))
	createOps(t, newOps(ns, "shelf-cpu", "shelf", dbaasv1.OpsVerticalScaling, func(o *dbaasv1.OpsRequest) {
		o.Spec.VerticalScaling = &dbaasv1.VerticalScaling{Resources: dbaasv1.Resources{
			Requests: map[corev1.ResourceName]resource.Quantity{"cpu": resource.MustParse("2"), "memory": resource.MustParse("1Gi")},
		}}
	}))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))
	mustReconcileOps(t, r, ns, "shelf-cpu")
	if got := getCluster(t, ns, "shelf").Spec.Resources.Requests; got.Cpu().String() != "2" || got.Memory().String() != "1Gi" {
		t.Fatalf("requests after the operation started = %v, want cpu 2, memory 1Gi", got)
	}

	cancel(t, ns, "shelf-cpu")
	mustReconcileOps(t, r, ns, "shelf-cpu")
	o := getOps(t, ns, "shelf-cpu")
	wantFinished(t, o, dbaasv1.OpsCancelled, dbaasv1.CancelledReason)
	if msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message; !strings.Contains(msg, "rolled back") {
		t.Fatalf("message %q does not say the spec was rolled back", msg)
	}
	requests := getCluster(t, ns, "shelf").Spec.Resources.Requests
	if len(requests) != 1 || requests.Cpu().String() != "1" {
		t.Fatalf("requests after the rollback = %v, want cpu 1 only", requests)
	}
	if n := f.calls("patch", "DatabaseCluster"); n != 2 {
		t.Fatalf("%d spec patches went through, want 2 (the operation's and the rollback)", n)
	}
}

// TestOpsCancelRefusedWithoutRollback: a running operation the engine declares no
// way back for (a volume expansion) says why it cannot be cancelled and goes on.
func TestOpsCancelRefusedWithoutRollback(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "shelf"))
	createOps(t, newOps(ns, "shelf-disk", "shelf", dbaasv1.OpsVolumeExpansion, func(o *dbaasv1.OpsRequest) {
		o.Spec.VolumeExpansion = &dbaasv1.VolumeExpansion{Size: resource.MustParse("2Gi")}
	}))
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "shelf-disk")
	if o := getOps(t, ns, "shelf-disk"); o.Status.Plan == nil || o.Status.Plan.Rollback != nil {
		t.Fatalf("plan %+v: want one, without a rollback", o.Status.Plan)
	}

	cancel(t, ns, "shelf-disk")
	mustReconcileOps(t, r, ns, "shelf-disk")
	o := getOps(t, ns, "shelf-disk")
	if o.Status.Phase != dbaasv1.OpsRunning {
		t.Fatalf("phase %s, want Running", o.Status.Phase)
	}
	c := condition(t, o, dbaasv1.OpsProgressingCondition)
	if c.Reason != dbaasv1.CancelRefusedReason || !strings.Contains(c.Message, "declares no safe way back") {
		t.Fatalf("Progressing = %s: %s, want CancelRefused with the reason", c.Reason, c.Message)
	}
	if size := getCluster(t, ns, "shelf").Spec.Storage.Size.String(); size != "2Gi" {
		t.Fatalf("storage %s, want 2Gi: a refused cancel changes nothing", size)
	}
}
