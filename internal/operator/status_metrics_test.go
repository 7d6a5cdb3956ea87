package operator

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/devcluster"
)

// TestStatusMetrics reads clusters and operations from a real API server, as the
// operator's cache serves them, and exports what the chart's alerts need: whether
// each cluster is Ready, the phase of each operation, and when a running one must end.
func TestStatusMetrics(t *testing.T) {
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	scheme, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}); err != nil {
		t.Fatal(err)
	}
	now := metav1.NewTime(time.Unix(1_800_000_000, 0))

	// Two clusters: one Ready, one that is not.
	for name, ready := range map[string]metav1.ConditionStatus{"orders": metav1.ConditionTrue, "billing": metav1.ConditionFalse} {
		dbc := &dbaasv1.DatabaseCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec:       dbaasv1.DatabaseClusterSpec{Engine: "postgresql", Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")}},
		}
		if err := c.Create(ctx, dbc); err != nil {
			t.Fatal(err)
		}
		dbc.Status.Phase = dbaasv1.PhaseReady
		if ready != metav1.ConditionTrue {
			dbc.Status.Phase = dbaasv1.PhaseCreating
		}
		dbc.Status.Conditions = []metav1.Condition{{Type: dbaasv1.ReadyCondition, Status: ready, Reason: "Test", LastTransitionTime: now}}
		if err := c.Status().Update(ctx, dbc); err != nil {
			t.Fatal(err)
		}
	}
	// Four operations: one new, one running with a timeout, one failed, one dry run
	// refused.
	ops := map[string]dbaasv1.OpsPhase{"restart-new": "", "restart-running": dbaasv1.OpsRunning, "restart-failed": dbaasv1.OpsFailed, "restart-plan": dbaasv1.OpsFailed}
	for name, phase := range ops {
		op := &dbaasv1.OpsRequest{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec:       dbaasv1.OpsRequestSpec{ClusterRef: "orders", Type: dbaasv1.OpsRestart, DryRun: name == "restart-plan"},
		}
		if err := c.Create(ctx, op); err != nil {
			t.Fatal(err)
		}
		if phase == "" {
			continue
		}
		op.Status.Phase = phase
		op.Status.StartTime = &now
		op.Status.TimeoutSeconds = new(int32(1800))
		if err := c.Status().Update(ctx, op); err != nil {
			t.Fatal(err)
		}
	}

	collector := &statusCollector{}
	collector.use(c)
	want := `
# HELP dbaas_databasecluster_ready 1 when the DatabaseCluster's Ready condition is True, else 0; phase is status.phase.
# TYPE dbaas_databasecluster_ready gauge
dbaas_databasecluster_ready{engine="postgresql",name="billing",namespace="shop",phase="Creating"} 0
dbaas_databasecluster_ready{engine="postgresql",name="orders",namespace="shop",phase="Ready"} 1
# HELP dbaas_databaseclusters DatabaseClusters by engine and status.phase.
# TYPE dbaas_databaseclusters gauge
dbaas_databaseclusters{engine="postgresql",phase="Creating"} 1
dbaas_databaseclusters{engine="postgresql",phase="Ready"} 1
# HELP dbaas_opsrequest_deadline_timestamp_seconds When a Running OpsRequest must end: status.startTime plus status.timeoutSeconds, in Unix seconds.
# TYPE dbaas_opsrequest_deadline_timestamp_seconds gauge
dbaas_opsrequest_deadline_timestamp_seconds{cluster="orders",name="restart-running",namespace="shop",type="Restart"} 1.8000018e+09
# HELP dbaas_opsrequest_phase 1 for each OpsRequest, labelled with its status.phase (Pending when it has none yet) and whether it is a dry run (spec.dryRun).
# TYPE dbaas_opsrequest_phase gauge
dbaas_opsrequest_phase{cluster="orders",dry_run="false",name="restart-failed",namespace="shop",phase="Failed",type="Restart"} 1
dbaas_opsrequest_phase{cluster="orders",dry_run="false",name="restart-new",namespace="shop",phase="Pending",type="Restart"} 1
dbaas_opsrequest_phase{cluster="orders",dry_run="false",name="restart-running",namespace="shop",phase="Running",type="Restart"} 1
dbaas_opsrequest_phase{cluster="orders",dry_run="true",name="restart-plan",namespace="shop",phase="Failed",type="Restart"} 1
`
	if err := testutil.CollectAndCompare(collector, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
