package controller_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// cnpgCluster reads the child Cluster of a DatabaseCluster.
func cnpgCluster(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("child Cluster: %v", err)
	}
	return u
}

// reconciledCondition returns the Reconciled condition of a cluster.
func reconciledCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(getCluster(t, ns, name).Status.Conditions, dbaasv1.ReconciledCondition)
	if c == nil {
		t.Fatal("no Reconciled condition")
	}
	return c
}

// TestSteadyStateMakesNoWrites: once a cluster is reconciled, reconciling it again
// with nothing changed sends no write to the API server.
func TestSteadyStateMakesNoWrites(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "steady", withProxy())); err != nil {
		t.Fatal(err)
	}
	var writes writeCounter
	r := reconciler(writes.client(), embeddedRegistry(t))
	for range 3 {
		reconcile(t, r, ns, "steady")
	}
	if writes.n.Load() == 0 {
		t.Fatal("the first reconciles wrote nothing: the counter does not count")
	}
	writes.n.Store(0)
	reconcile(t, r, ns, "steady")
	if n := writes.n.Load(); n != 0 {
		t.Fatalf("a steady-state reconcile sent %d writes, want 0", n)
	}

	// A change to the spec is written again.
	c := getCluster(t, ns, "steady")
	c.Spec.ClusterSize = ptr[int32](2)
	if err := k8s.Update(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "steady")
	if writes.n.Load() == 0 {
		t.Fatal("a spec change was not applied")
	}
	if got, _, _ := unstructured.NestedInt64(cnpgCluster(t, ns, "steady").Object, "spec", "instances"); got != 2 {
		t.Fatalf("spec.instances = %d, want 2", got)
	}
}

// TestRenderFailureLeavesChildrenUntouched: an engine override that no longer
// renders (two stages disagree) reports RenderFailed naming the stage, and the
// children stay as they were.
func TestRenderFailureLeavesChildrenUntouched(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "stable")); err != nil {
		t.Fatal(err)
	}
	reconcile(t, reconciler(k8s, embeddedRegistry(t)), ns, "stable")
	before := cnpgCluster(t, ns, "stable").GetResourceVersion()

	dir := t.TempDir()
	copyEngine(t, "postgresql", filepath.Join(dir, "postgresql"))
	conflict := "package postgresql\n\nstages: proxy: objects: cluster: spec: imageName: \"example.com/postgres:0\"\n"
	if err := os.WriteFile(filepath.Join(dir, "postgresql", "conflict.cue"), []byte(conflict), 0o644); err != nil {
		t.Fatal(err)
	}
	broken, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatalf("the override compiles, it only fails to render: %v", err)
	}
	reconcile(t, reconciler(k8s, broken), ns, "stable")

	cond := reconciledCondition(t, ns, "stable")
	if cond.Status != metav1.ConditionFalse || cond.Reason != dbaasv1.RenderFailedReason {
		t.Fatalf("Reconciled = %s/%s, want False/RenderFailed", cond.Status, cond.Reason)
	}
	for _, want := range []string{"children are untouched", "stage proxy", "conflicting values", "conflict.cue"} {
		if !strings.Contains(cond.Message, want) {
			t.Errorf("message %q does not contain %q", cond.Message, want)
		}
	}
	if after := cnpgCluster(t, ns, "stable").GetResourceVersion(); after != before {
		t.Fatalf("the child changed (resourceVersion %s → %s)", before, after)
	}
}

// TestPreconditionHoldsBackTheChildren: a backup whose credentials Secret does not
// exist yet creates nothing, says which Secret is missing and retries; once the
// Secret exists the children are created.
func TestPreconditionHoldsBackTheChildren(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "waiting", withBackup("s3-creds"))); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	res := reconcile(t, r, ns, "waiting")
	reconcile(t, r, ns, "waiting")
	if res.RequeueAfter == 0 {
		t.Error("an unmet precondition must be retried")
	}
	cond := reconciledCondition(t, ns, "waiting")
	if cond.Reason != dbaasv1.PreconditionNotMetReason || !strings.Contains(cond.Message, `"s3-creds"`) {
		t.Fatalf("Reconciled = %s: %s, want PreconditionNotMet naming s3-creds", cond.Reason, cond.Message)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "waiting"}, u); err == nil {
		t.Fatal("the child was created before its precondition held")
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3-creds"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}}
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "waiting")
	cnpgCluster(t, ns, "waiting")
	if cond := reconciledCondition(t, ns, "waiting"); cond.Reason != dbaasv1.AppliedReason {
		t.Fatalf("Reconciled reason = %s, want Applied", cond.Reason)
	}
}

// copyEngine copies an embedded engine package into dir.
func copyEngine(t *testing.T, name, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(engines.FS(), name+"/*.cue")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(engines.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
