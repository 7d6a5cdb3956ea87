package controller_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// cnpgBackup creates a CloudNativePG Backup of cluster labelled as its
// ScheduledBackup labels them, with the status the operator would report.
func cnpgBackup(t *testing.T, ns, name, cluster string, status map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
		"metadata": map[string]any{"namespace": ns, "name": name, "labels": map[string]any{"cnpg.io/cluster": cluster}},
		"spec":     map[string]any{"cluster": map[string]any{"name": cluster}, "method": "barmanObjectStore"},
	}}
	if err := k8s.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	u.Object["status"] = status
	if err := k8s.Status().Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// backupHealthy returns the BackupHealthy condition of a cluster, nil without one.
func backupHealthy(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	return meta.FindStatusCondition(getCluster(t, ns, name).Status.Conditions, dbaasv1.BackupHealthyCondition)
}

// countEvents drains the recorder and counts the events starting with prefix.
func countEvents(r *events.FakeRecorder, prefix string) int {
	n := 0
	for {
		select {
		case e := <-r.Events:
			if len(e) >= len(prefix) && e[:len(prefix)] == prefix {
				n++
			}
		default:
			return n
		}
	}
}

// TestBackupHealthFollowsTheBackups: a cluster with a daily schedule waits for its
// first backup until the schedule's run plus the margin, is healthy after a
// backup succeeds, goes stale when the next one does not come (noticed by the
// requeue at that moment, with one Warning Event however often it is reconciled),
// fails with the last backup, and recovers with the next, each transition
// announced once.
func TestBackupHealthFollowsTheBackups(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3-creds"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	dbc := newCluster(ns, "nightly", withBackup("s3-creds"))
	dbc.Spec.Backup.Schedule = "0 3 * * *"
	if err := k8s.Create(ctx, dbc); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := clocktesting.NewFakeClock(start)
	recorder := events.NewFakeRecorder(100)
	r := reconciler(k8s, embeddedRegistry(t))
	r.Clock, r.Recorder = clock, recorder
	// Retries of what no child operator completes here (the binding Secret's
	// credentials) come later than any backup deadline, so the requeue seen is the
	// backups'.
	r.RetryInterval = 1000 * time.Hour

	// Waiting: the run at 03:00 plus half a day's interval capped at 6h.
	reconcile(t, r, ns, "nightly")
	res := reconcile(t, r, ns, "nightly")
	if c := backupHealthy(t, ns, "nightly"); c == nil || c.Status != metav1.ConditionUnknown || c.Reason != dbaasv1.AwaitingFirstBackupReason {
		t.Fatalf("BackupHealthy = %+v, want Unknown AwaitingFirstBackup", c)
	}
	if want := 9*time.Hour + time.Second; res.RequeueAfter != want {
		t.Fatalf("requeue after %s, want %s (when the first backup is overdue)", res.RequeueAfter, want)
	}
	if n := countEvents(recorder, "Warning Backup"); n != 0 {
		t.Fatalf("%d backup Warnings while waiting for the first backup", n)
	}

	// The first backup succeeds at 03:05: healthy until the next run plus margin.
	cnpgBackup(t, ns, "nightly-1", "nightly", map[string]any{"phase": "completed",
		"startedAt": "2026-01-01T03:00:01Z", "stoppedAt": "2026-01-01T03:05:00Z"})
	clock.SetTime(start.Add(3*time.Hour + 10*time.Minute))
	res = reconcile(t, r, ns, "nightly")
	if c := backupHealthy(t, ns, "nightly"); c == nil || c.Status != metav1.ConditionTrue || c.Reason != dbaasv1.BackupSucceededReason {
		t.Fatalf("BackupHealthy = %+v, want True BackupSucceeded", c)
	}
	staleAt := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	if want := staleAt.Sub(clock.Now()) + time.Second; res.RequeueAfter != want {
		t.Fatalf("requeue after %s, want %s (when the backups go stale)", res.RequeueAfter, want)
	}
	status := getCluster(t, ns, "nightly").Status.Backup
	if status == nil || len(status.Backups) != 1 || status.Backups[0].Name != "nightly-1" || status.LastSuccessfulBackup != "2026-01-01T03:05:00Z" {
		t.Fatalf("status.backup = %+v, want nightly-1 listed and its completion as the last success", status)
	}

	// No backup on the next day: the requeue finds it stale, once.
	clock.SetTime(staleAt.Add(time.Second))
	for range 3 {
		reconcile(t, r, ns, "nightly")
	}
	if c := backupHealthy(t, ns, "nightly"); c == nil || c.Status != metav1.ConditionFalse || c.Reason != dbaasv1.BackupStaleReason {
		t.Fatalf("BackupHealthy = %+v, want False BackupStale", c)
	}
	if n := countEvents(recorder, "Warning BackupStale"); n != 1 {
		t.Fatalf("%d BackupStale Warnings, want exactly 1", n)
	}

	// The next backup fails: BackupFailed, once, with the child's error.
	cnpgBackup(t, ns, "nightly-2", "nightly", map[string]any{"phase": "failed",
		"stoppedAt": "2026-01-02T09:30:00Z", "error": "can't execute backup: exit status 4"})
	for range 2 {
		reconcile(t, r, ns, "nightly")
	}
	c := backupHealthy(t, ns, "nightly")
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != dbaasv1.BackupFailedReason || c.Message != "backup nightly-2 failed: can't execute backup: exit status 4" {
		t.Fatalf("BackupHealthy = %+v, want False BackupFailed with the child's error", c)
	}
	if n := countEvents(recorder, "Warning BackupFailed"); n != 1 {
		t.Fatalf("%d BackupFailed Warnings, want exactly 1", n)
	}

	// A backup succeeds again: healthy, announced once.
	cnpgBackup(t, ns, "nightly-3", "nightly", map[string]any{"phase": "completed", "stoppedAt": "2026-01-02T10:00:00Z"})
	clock.SetTime(time.Date(2026, 1, 2, 10, 1, 0, 0, time.UTC))
	for range 2 {
		reconcile(t, r, ns, "nightly")
	}
	if c := backupHealthy(t, ns, "nightly"); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("BackupHealthy = %+v, want True", c)
	}
	if n := countEvents(recorder, "Normal BackupSucceeded"); n != 1 {
		t.Fatalf("%d BackupSucceeded Events, want exactly 1", n)
	}
	if got := getCluster(t, ns, "nightly").Status.Backup.Backups; len(got) != 3 || got[0].Name != "nightly-3" || got[2].Name != "nightly-1" {
		t.Fatalf("backups = %+v, want nightly-3, nightly-2, nightly-1", got)
	}
}
