package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestDataBearingChildIsOwnerlessAndRecorded: the CNPG Cluster holds the data, so
// it carries no owner reference (the garbage collector never deletes it), it is
// labelled with the DatabaseCluster's UID, and its UID is recorded in status.
func TestDataBearingChildIsOwnerlessAndRecorded(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "keeper", withProxy())); err != nil {
		t.Fatal(err)
	}
	reconcile(t, reconciler(k8s, embeddedRegistry(t)), ns, "keeper")
	dbc := getCluster(t, ns, "keeper")
	child := cnpgCluster(t, ns, "keeper")
	if refs := child.GetOwnerReferences(); len(refs) != 0 {
		t.Errorf("the data-bearing Cluster has owner references %v, want none", refs)
	}
	if got := child.GetLabels()[dbaasv1.ClusterUIDLabel]; got != string(dbc.UID) {
		t.Errorf("label %s = %q, want the DatabaseCluster's UID %s", dbaasv1.ClusterUIDLabel, got, dbc.UID)
	}
	want := []dbaasv1.ChildRef{{Key: "cluster", APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster", Name: "keeper", UID: child.GetUID()}}
	if got := dbc.Status.DataBearing; len(got) != 1 || got[0] != want[0] {
		t.Errorf("status.dataBearing = %+v, want %+v", got, want)
	}
	pooler := child.DeepCopy()
	pooler.SetKind("Pooler")
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "keeper-pooler-rw"}, pooler); err != nil {
		t.Fatal(err)
	}
	if refs := pooler.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != dbc.UID {
		t.Errorf("the Pooler (no data) has owner references %v, want the DatabaseCluster", refs)
	}
}

// TestEngineChangeNeverPrunesData: an engine version that renames the Cluster stops
// the cluster with DataBearingChildDropped naming the old one; nothing is pruned
// and no second, empty Cluster is created.
func TestEngineChangeNeverPrunesData(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "renamed")); err != nil {
		t.Fatal(err)
	}
	reconcile(t, reconciler(k8s, embeddedRegistry(t)), ns, "renamed")
	before := cnpgCluster(t, ns, "renamed")

	dir := t.TempDir()
	copyEngine(t, "postgresql", filepath.Join(dir, "postgresql"))
	path := filepath.Join(dir, "postgresql", "cluster.cue")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.Replace(string(b), "metadata: name: _name\n", "metadata: name: \"\\(_name)-db\"\n", 1)
	if renamed == string(b) {
		t.Fatal("the test could not rename the Cluster in the engine")
	}
	if err := os.WriteFile(path, []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	reconcile(t, reconciler(k8s, changed), ns, "renamed")

	cond := reconciledCondition(t, ns, "renamed")
	if cond.Reason != dbaasv1.DataBearingChildDroppedReason || !strings.Contains(cond.Message, "Cluster.postgresql.cnpg.io/renamed") {
		t.Fatalf("Reconciled = %s: %s, want DataBearingChildDropped naming the Cluster", cond.Reason, cond.Message)
	}
	if after := cnpgCluster(t, ns, "renamed"); after.GetUID() != before.GetUID() || after.GetDeletionTimestamp() != nil {
		t.Fatal("the Cluster holding the data was deleted")
	}
	if _, err := getChild(ns, "renamed-db"); !apierrors.IsNotFound(err) {
		t.Fatalf("a new Cluster was created beside the old one (err %v)", err)
	}
	stalled := findCondition(t, ns, "renamed", dbaasv1.StalledCondition)
	if stalled.Status != metav1.ConditionTrue {
		t.Errorf("Stalled = %s, want True", stalled.Status)
	}
}

// TestDeletedDataNeedsAcknowledgement: a Cluster deleted by someone else is not
// created again, empty, until the user annotates the DatabaseCluster with the lost
// Cluster's UID; then it is, and the new one is recorded.
func TestDeletedDataNeedsAcknowledgement(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "lost")); err != nil {
		t.Fatal(err)
	}
	recorder := events.NewFakeRecorder(100)
	r := reconciler(k8s, embeddedRegistry(t))
	r.Recorder = recorder
	reconcile(t, r, ns, "lost")
	old := cnpgCluster(t, ns, "lost")
	if err := k8s.Delete(context.Background(), old); err != nil {
		t.Fatal(err)
	}

	reconcile(t, r, ns, "lost")
	if _, err := getChild(ns, "lost"); !apierrors.IsNotFound(err) {
		t.Fatalf("the deleted Cluster was created again without acknowledgement (err %v)", err)
	}
	cond := reconciledCondition(t, ns, "lost")
	wantAck := dbaasv1.RecreateDeletedAnnotation + "=" + string(old.GetUID())
	if cond.Reason != dbaasv1.DataBearingChildMissingReason || !strings.Contains(cond.Message, wantAck) {
		t.Fatalf("Reconciled = %s: %s, want DataBearingChildMissing telling to annotate %s", cond.Reason, cond.Message, wantAck)
	}
	if !hasEvent(recorder, "Warning "+dbaasv1.DataBearingChildMissingReason) {
		t.Error("no Warning Event says the data-bearing child is missing")
	}

	// Another UID acknowledges nothing.
	annotate(t, ns, "lost", dbaasv1.RecreateDeletedAnnotation, "not-the-uid")
	reconcile(t, r, ns, "lost")
	if _, err := getChild(ns, "lost"); !apierrors.IsNotFound(err) {
		t.Fatal("a wrong acknowledgement re-created the Cluster")
	}

	annotate(t, ns, "lost", dbaasv1.RecreateDeletedAnnotation, string(old.GetUID()))
	reconcile(t, r, ns, "lost")
	recreated := cnpgCluster(t, ns, "lost")
	if recreated.GetUID() == old.GetUID() {
		t.Fatal("the Cluster was not created again")
	}
	if got := getCluster(t, ns, "lost").Status.DataBearing; len(got) != 1 || got[0].UID != recreated.GetUID() {
		t.Fatalf("status.dataBearing = %+v, want the new Cluster %s", got, recreated.GetUID())
	}
	if cond := reconciledCondition(t, ns, "lost"); cond.Reason != dbaasv1.AppliedReason {
		t.Fatalf("Reconciled = %s: %s, want Applied", cond.Reason, cond.Message)
	}
}

// TestNoTakeOver: a DatabaseCluster whose Cluster would have the name of an existing
// Cluster it did not create leaves that Cluster untouched and says so.
func TestNoTakeOver(t *testing.T) {
	ns := namespace(t)
	foreign := &unstructured.Unstructured{}
	foreign.SetAPIVersion("postgresql.cnpg.io/v1")
	foreign.SetKind("Cluster")
	foreign.SetNamespace(ns)
	foreign.SetName("taken")
	foreign.Object["spec"] = map[string]any{"instances": int64(1), "storage": map[string]any{"size": "5Gi"}}
	if err := k8s.Create(context.Background(), foreign); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(context.Background(), newCluster(ns, "taken")); err != nil {
		t.Fatal(err)
	}
	reconcile(t, reconciler(k8s, embeddedRegistry(t)), ns, "taken")

	cond := reconciledCondition(t, ns, "taken")
	if cond.Reason != dbaasv1.TakeOverRefusedReason || !strings.Contains(cond.Message, "Cluster taken exists already") {
		t.Fatalf("Reconciled = %s: %s, want TakeOverRefused naming Cluster taken", cond.Reason, cond.Message)
	}
	after := cnpgCluster(t, ns, "taken")
	if after.GetResourceVersion() != foreign.GetResourceVersion() {
		t.Fatal("the foreign Cluster was changed")
	}
}

// TestRetainDoesNotReadAnnotations: with deletionPolicy Retain the Cluster is kept
// even when someone stripped the annotations the operator set on it; it is released
// (no cluster labels, marked retained), and the Pooler is deleted.
func TestRetainDoesNotReadAnnotations(t *testing.T) {
	ns := namespace(t)
	dbc := newCluster(ns, "kept", withProxy())
	dbc.Spec.DeletionPolicy = dbaasv1.DeletionPolicyRetain
	if err := k8s.Create(context.Background(), dbc); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	reconcile(t, r, ns, "kept")
	child := cnpgCluster(t, ns, "kept")
	stripped := child.DeepCopy()
	stripped.SetAnnotations(nil)
	if err := k8s.Patch(context.Background(), stripped, client.MergeFrom(child)); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(context.Background(), getCluster(t, ns, "kept")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		reconcile(t, r, ns, "kept")
	}
	kept := cnpgCluster(t, ns, "kept")
	if kept.GetUID() != child.GetUID() || kept.GetDeletionTimestamp() != nil {
		t.Fatal("the retained Cluster was deleted")
	}
	if _, ok := kept.GetLabels()[dbaasv1.ClusterLabel]; ok {
		t.Error("the retained Cluster still carries the cluster label")
	}
	if kept.GetAnnotations()[dbaasv1.RetainedAnnotation] != "kept" {
		t.Errorf("the retained Cluster is not marked retained: %v", kept.GetAnnotations())
	}
	if _, err := getChildKind(ns, "Pooler", "kept-pooler-rw"); !apierrors.IsNotFound(err) {
		t.Fatalf("the Pooler (no data) was not deleted (err %v)", err)
	}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "kept"}, &dbaasv1.DatabaseCluster{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the DatabaseCluster is not gone (err %v)", err)
	}
}

// TestDeleteDeletesOwnerlessData: with deletionPolicy Delete the Cluster, which has
// no owner reference, is deleted by the finalizer before the DatabaseCluster goes.
func TestDeleteDeletesOwnerlessData(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "gone")); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	reconcile(t, r, ns, "gone")
	if err := k8s.Delete(context.Background(), getCluster(t, ns, "gone")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		reconcile(t, r, ns, "gone")
	}
	if _, err := getChild(ns, "gone"); !apierrors.IsNotFound(err) {
		t.Fatalf("the Cluster was not deleted (err %v)", err)
	}
}

// TestApplyErrorIsRetried: an API error while applying is reported in the
// Reconciled condition and returned, so the reconcile is retried with backoff
// instead of waiting for the next event.
func TestApplyErrorIsRetried(t *testing.T) {
	ns := namespace(t)
	if err := k8s.Create(context.Background(), newCluster(ns, "flaky")); err != nil {
		t.Fatal(err)
	}
	faults := failingApplies(1)
	r := reconciler(faults, embeddedRegistry(t))
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "flaky"}})
	if err == nil {
		t.Fatal("a failed apply returned no error: nothing retries it")
	}
	if cond := reconciledCondition(t, ns, "flaky"); cond.Reason != dbaasv1.ApplyFailedReason {
		t.Fatalf("Reconciled = %s, want ApplyFailed", cond.Reason)
	}
	reconcile(t, r, ns, "flaky")
	cnpgCluster(t, ns, "flaky")
}

// TestPreconditionKeepsObservedStatus: a cluster whose backup Secret vanished keeps
// reporting its instances while the precondition holds it back.
func TestPreconditionKeepsObservedStatus(t *testing.T) {
	ns := namespace(t)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}}
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(context.Background(), newCluster(ns, "held", withBackup("creds"))); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	reconcile(t, r, ns, "held")
	child := cnpgCluster(t, ns, "held")
	child.Object["status"] = map[string]any{"instances": int64(1), "readyInstances": int64(1), "phase": "Cluster in healthy state", "currentPrimary": "held-1"}
	if err := k8s.Status().Update(context.Background(), child); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "held")
	if got := getCluster(t, ns, "held").Status.Instances; got != 1 {
		t.Fatalf("instances = %d before the Secret went, want 1", got)
	}
	if err := k8s.Delete(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "held")
	got := getCluster(t, ns, "held")
	if cond := reconciledCondition(t, ns, "held"); cond.Reason != dbaasv1.PreconditionNotMetReason {
		t.Fatalf("Reconciled = %s, want PreconditionNotMet", cond.Reason)
	}
	if got.Status.Instances != 1 || got.Status.Primary != "held-1" {
		t.Fatalf("status lost the observed instances: %d, primary %q", got.Status.Instances, got.Status.Primary)
	}
}

// TestRestoreRunsOnce: a Percona restore is recorded when it is created and when it
// finishes; deleted afterwards, it is never created again (that would restore the
// old backup over live data).
func TestRestoreRunsOnce(t *testing.T) {
	ns := namespace(t)
	backup := pxcObject(ns, "PerconaXtraDBClusterBackup", "nightly")
	backup.Object["spec"] = map[string]any{"pxcCluster": "source", "storageName": "s3"}
	if err := k8s.Create(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	backup.Object["status"] = map[string]any{"state": "Succeeded"}
	if err := k8s.Status().Update(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	dbc := newCluster(ns, "restored")
	dbc.Spec.Engine = "mysql"
	dbc.Spec.DataSource = &dbaasv1.DataSource{Backup: &dbaasv1.BackupSource{Name: "nightly"}}
	if err := k8s.Create(context.Background(), dbc); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	reconcile(t, r, ns, "restored") // the PerconaXtraDBCluster
	reconcile(t, r, ns, "restored") // then the restore into it
	restore := pxcObject(ns, "PerconaXtraDBClusterRestore", "restored-restore")
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(restore), restore); err != nil {
		t.Fatalf("the restore was not created: %v", err)
	}
	shots := getCluster(t, ns, "restored").Status.OneShots
	if len(shots) != 1 || shots[0].Key != "restore" || shots[0].Phase != dbaasv1.OneShotCreated || shots[0].UID != restore.GetUID() {
		t.Fatalf("status.oneShots = %+v, want the restore recorded as Created", shots)
	}

	restore.Object["status"] = map[string]any{"state": "Succeeded"}
	if err := k8s.Status().Update(context.Background(), restore); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "restored")
	if shots := getCluster(t, ns, "restored").Status.OneShots; len(shots) != 1 || shots[0].Phase != dbaasv1.OneShotCompleted {
		t.Fatalf("status.oneShots = %+v, want the restore Completed", shots)
	}

	if err := k8s.Delete(context.Background(), restore); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		reconcile(t, r, ns, "restored")
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(restore), pxcObject(ns, "PerconaXtraDBClusterRestore", "")); !apierrors.IsNotFound(err) {
		t.Fatalf("the finished restore was created again (err %v)", err)
	}
	if cond := reconciledCondition(t, ns, "restored"); cond.Reason != dbaasv1.AppliedReason {
		t.Fatalf("Reconciled = %s: %s, want Applied", cond.Reason, cond.Message)
	}
}

// pxcObject is an empty Percona XtraDB Cluster object of a kind.
func pxcObject(ns, kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("pxc.percona.com/v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}
