package controller_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// ended reads the outcome counter and the number of durations observed for one
// engine, type and outcome.
func ended(t *testing.T, engine string, opsType dbaasv1.OpsType, outcome dbaasv1.OpsPhase) (count float64, durations uint64) {
	t.Helper()
	labels := []string{engine, string(opsType), string(outcome)}
	m := &dto.Metric{}
	if err := controller.OpsDuration.WithLabelValues(labels...).(prometheus.Metric).Write(m); err != nil {
		t.Fatal(err)
	}
	return testutil.ToFloat64(controller.OpsTotal.WithLabelValues(labels...)), m.GetHistogram().GetSampleCount()
}

// TestOpsOutcomeCountedOnce: an operation that ends is counted once, with its
// duration, when its final phase is written; reconciling it again, by the same
// reconciler or by a new one (a restarted operator), counts nothing more.
func TestOpsOutcomeCountedOnce(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "tally", func(c *dbaasv1.DatabaseCluster) {
		c.Spec.Resources = dbaasv1.Resources{Requests: map[corev1.ResourceName]resource.Quantity{"cpu": resource.MustParse("1")}}
	}))
	createOps(t, newOps(ns, "tally-cpu", "tally", dbaasv1.OpsVerticalScaling, func(o *dbaasv1.OpsRequest) {
		o.Spec.VerticalScaling = &dbaasv1.VerticalScaling{Resources: dbaasv1.Resources{
			Requests: map[corev1.ResourceName]resource.Quantity{"cpu": resource.MustParse("2")},
		}}
	}))
	count0, durations0 := ended(t, "postgresql", dbaasv1.OpsVerticalScaling, dbaasv1.OpsCancelled)
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "tally-cpu")
	if count, _ := ended(t, "postgresql", dbaasv1.OpsVerticalScaling, dbaasv1.OpsCancelled); count != count0 {
		t.Fatalf("a running operation was counted as ended (%v, was %v)", count, count0)
	}

	cancel(t, ns, "tally-cpu")
	mustReconcileOps(t, r, ns, "tally-cpu")
	wantFinished(t, getOps(t, ns, "tally-cpu"), dbaasv1.OpsCancelled, dbaasv1.CancelledReason)
	if count, durations := ended(t, "postgresql", dbaasv1.OpsVerticalScaling, dbaasv1.OpsCancelled); count != count0+1 || durations != durations0+1 {
		t.Fatalf("after the final write: counter %v, durations %d; want %v and %d", count, durations, count0+1, durations0+1)
	}

	mustReconcileOps(t, r, ns, "tally-cpu")
	restarted, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, restarted, ns, "tally-cpu")
	if count, durations := ended(t, "postgresql", dbaasv1.OpsVerticalScaling, dbaasv1.OpsCancelled); count != count0+1 || durations != durations0+1 {
		t.Fatalf("after reconciling the ended operation again: counter %v, durations %d; want %v and %d", count, durations, count0+1, durations0+1)
	}
}
