package controller_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// TestOpsSwitchoverTargetIsRecordedBeforeActing: the plan, written before anything
// changes, names the target primary and the Cluster's UID; when the replicas change
// before the operator resumes, the recorded target is the one promoted.
func TestOpsSwitchoverTargetIsRecordedBeforeActing(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "zoo", withSize(3)))
	createOps(t, newOps(ns, "zoo-switch", "zoo", dbaasv1.OpsSwitchover))
	r, _ := opsReconciler(t, indexed(k8s))
	if !reconcileUntil(t, r, ns, "zoo-switch", controller.AfterPlan) {
		t.Fatal("the operation never recorded its plan")
	}
	o := getOps(t, ns, "zoo-switch")
	step := o.Status.Plan.Steps[0]
	child := cnpgCluster(t, ns, "zoo")
	if step.Target.UID != child.GetUID() || step.State != dbaasv1.OpsStepStarted {
		t.Fatalf("step %+v: want the Cluster's UID %s, Started", step, child.GetUID())
	}
	if target := targetPrimary(t, step.Patch.Raw); target != "zoo-2" {
		t.Fatalf("recorded target %q, want zoo-2 (the first healthy replica)", target)
	}
	if got, _, _ := unstructured.NestedString(child.Object, "status", "targetPrimary"); got != "zoo-1" {
		t.Fatalf("the Cluster's targetPrimary is %q before any step ran, want zoo-1", got)
	}

	// zoo-2 is no longer healthy: a new evaluation would pick zoo-3.
	healthy := []any{"zoo-1", "zoo-3"}
	if err := unstructured.SetNestedSlice(child.Object, healthy, "status", "instancesStatus", "healthy"); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Status().Update(ctx, child); err != nil {
		t.Fatal(err)
	}
	mustReconcileOps(t, r, ns, "zoo-switch")
	if got, _, _ := unstructured.NestedString(cnpgCluster(t, ns, "zoo").Object, "status", "targetPrimary"); got != "zoo-2" {
		t.Fatalf("the Cluster's targetPrimary is %q, want zoo-2, the recorded target", got)
	}
}

// targetPrimary reads status.targetPrimary from a recorded patch.
func targetPrimary(t *testing.T, patch []byte) string {
	t.Helper()
	var p struct {
		Status struct {
			TargetPrimary string `json:"targetPrimary"`
		} `json:"status"`
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		t.Fatal(err)
	}
	return p.Status.TargetPrimary
}

// TestOpsStepsRunOnceAcrossRestarts: an operator that stops right after a step's
// change, before recording it Done, finds the change in place when it resumes and
// does not send it again; each write of the plan is one status update.
func TestOpsStepsRunOnceAcrossRestarts(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "river"))
	createOps(t, newOps(ns, "river-restart", "river", dbaasv1.OpsRestart))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))
	if !reconcileUntil(t, r, ns, "river-restart", controller.StepPoint("after", 0)) {
		t.Fatal("the step never ran")
	}
	if n := f.calls("patch", "Cluster"); n != 1 {
		t.Fatalf("the restart annotation was sent %d times, want 1", n)
	}
	if writes := f.calls("status-update", "OpsRequest"); writes != 1 {
		t.Fatalf("%d status writes before the step, want 1 (the plan)", writes)
	}
	mustReconcileOps(t, r, ns, "river-restart")
	if n := f.calls("patch", "Cluster"); n != 1 {
		t.Fatalf("after the restart the annotation was sent %d times, want 1", n)
	}
	o := getOps(t, ns, "river-restart")
	if step := o.Status.Plan.Steps[0]; step.State != dbaasv1.OpsStepDone || !strings.Contains(step.Message, "has the change already") {
		t.Fatalf("step %+v: want Done, found in place", step)
	}
	// The plan, then the fence of the resumed reconcile, then the step Done.
	if writes := f.calls("status-update", "OpsRequest"); writes != 3 {
		t.Fatalf("%d status writes, want 3", writes)
	}
}

// TestOpsFenceAlwaysWrites: a reconcile that reads a stale OpsRequest (a cache that
// has not seen the last write) sends its fence write even though the write changes
// nothing, the write conflicts, and no step runs. Checking the live target would
// not do: the Backup the step created was deleted since, and a stale read that
// got past the fence would take a second backup.
func TestOpsFenceAlwaysWrites(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	backupCluster(t, ns, "vault")
	createOps(t, newOps(ns, "vault-backup", "vault", dbaasv1.OpsBackup, func(o *dbaasv1.OpsRequest) {
		o.Spec.Backup = &dbaasv1.BackupOps{Name: "vault-nightly"}
	}))
	r, _ := opsReconciler(t, indexed(k8s))
	if !reconcileUntil(t, r, ns, "vault-backup", controller.AfterPlan) {
		t.Fatal("the operation never recorded its plan")
	}
	// The copy a lagging cache keeps: the plan recorded, the fence's condition set
	// already, so the fence changes nothing in it.
	stale := getOps(t, ns, "vault-backup")
	meta.SetStatusCondition(&stale.Status.Conditions, metav1.Condition{
		Type: dbaasv1.OpsProgressingCondition, Status: metav1.ConditionTrue, Reason: dbaasv1.RunningReason,
		Message: "applying the operation", ObservedGeneration: stale.Generation,
	})
	mustReconcileOps(t, r, ns, "vault-backup")
	if !getOps(t, ns, "vault-backup").Status.Plan.Applied() {
		t.Fatal("the plan did not run")
	}
	backup := &unstructured.Unstructured{}
	backup.SetAPIVersion("postgresql.cnpg.io/v1")
	backup.SetKind("Backup")
	backup.SetNamespace(ns)
	backup.SetName("vault-nightly")
	if err := k8s.Delete(ctx, backup); err != nil {
		t.Fatalf("the backup the step created: %v", err)
	}

	f := &faults{}
	rStale, _ := opsReconciler(t, staleRead(f.client(k8s), stale))
	res := mustReconcileOps(t, rStale, ns, "vault-backup")
	if res.RequeueAfter == 0 {
		t.Fatal("a stale read was not requeued")
	}
	if n := f.conflicts.Load(); n != 1 {
		t.Fatalf("%d writes conflicted, want 1: the fence's", n)
	}
	if n := f.calls("create", "Backup"); n != 0 {
		t.Fatalf("a reconcile on a stale read created %d backups, want 0", n)
	}
}

// backupCluster makes a ready PostgreSQL cluster with backups to S3.
func backupCluster(t *testing.T, ns, name string) {
	t.Helper()
	secret := &corev1.Secret{}
	secret.Namespace, secret.Name = ns, "s3-creds"
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	readyCluster(t, newCluster(ns, name, withBackup("s3-creds")))
}

// staleRead wraps c so that reading stale's kind and name gives the copy stale, as
// a cache that has not seen the last write would.
func staleRead[T client.Object](c client.WithWatch, stale T) client.WithWatch {
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if o, ok := obj.(T); ok && key.Name == stale.GetName() && key.Namespace == stale.GetNamespace() {
				reflect.ValueOf(o).Elem().Set(reflect.ValueOf(stale.DeepCopyObject()).Elem())
				return nil
			}
			return c.Get(ctx, key, obj, opts...)
		},
	})
}

// TestOpsRebuildLeavesRecreatedObjectsAlone: when the PVC and the pod a
// RebuildInstance recorded are gone and CloudNativePG created new ones before the
// operator resumed, the steps are done and the new ones are not deleted.
func TestOpsRebuildLeavesRecreatedObjectsAlone(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "zoo", withSize(3)))
	pvc, pod := instance(t, ns, "zoo-3")
	createOps(t, newOps(ns, "zoo-rebuild", "zoo", dbaasv1.OpsRebuildInstance, rebuild("zoo-3")))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))
	if !reconcileUntil(t, r, ns, "zoo-rebuild", controller.AfterPlan) {
		t.Fatal("the operation never recorded its plan")
	}
	steps := getOps(t, ns, "zoo-rebuild").Status.Plan.Steps
	if steps[0].Target.UID != pvc.UID || steps[1].Target.UID != pod.UID {
		t.Fatalf("steps %+v: want the PVC's and the pod's UIDs", steps)
	}

	// The instance goes and comes back with new objects.
	for _, o := range []client.Object{pvc, pod} {
		o.SetFinalizers(nil)
		if err := k8s.Update(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if err := k8s.Delete(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	newPVC, newPod := instance(t, ns, "zoo-3")
	mustReconcileOps(t, r, ns, "zoo-rebuild")
	for _, step := range getOps(t, ns, "zoo-rebuild").Status.Plan.Steps {
		if step.State != dbaasv1.OpsStepDone || !strings.Contains(step.Message, "not deleted") {
			t.Fatalf("step %+v: want Done, not deleted", step)
		}
	}
	for _, o := range []client.Object{newPVC, newPod} {
		got := o.DeepCopyObject().(client.Object)
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "zoo-3"}, got); err != nil || got.GetDeletionTimestamp() != nil {
			t.Fatalf("%T zoo-3 recreated by CloudNativePG: err %v, deletion %v", o, err, got.GetDeletionTimestamp())
		}
	}
	if n := f.calls("delete", "PersistentVolumeClaim") + f.calls("delete", "Pod"); n != 0 {
		t.Fatalf("%d deletes went through, want 0", n)
	}
}

// TestOpsCreateRefusesAnObjectItDidNotCreate: a Backup whose name an object of
// another OpsRequest has (an earlier request of the same name) fails with a reason
// that names that object, rather than succeed on it; one that names no backup gets
// a name of its own and takes a new backup.
func TestOpsCreateRefusesAnObjectItDidNotCreate(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	backupCluster(t, ns, "vault")
	old := &unstructured.Unstructured{}
	old.SetAPIVersion("postgresql.cnpg.io/v1")
	old.SetKind("Backup")
	old.SetNamespace(ns)
	old.SetName("nightly")
	old.SetLabels(map[string]string{dbaasv1.OpsRequestLabel: "nightly", dbaasv1.OpsRequestUIDLabel: "an-earlier-uid"})
	if err := unstructured.SetNestedField(old.Object, "vault", "spec", "cluster", "name"); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	createOps(t, newOps(ns, "nightly", "vault", dbaasv1.OpsBackup, func(o *dbaasv1.OpsRequest) {
		o.Spec.Backup = &dbaasv1.BackupOps{Name: "nightly"}
	}))
	r, _ := opsReconciler(t, indexed(k8s))
	mustReconcileOps(t, r, ns, "nightly")
	o := getOps(t, ns, "nightly")
	wantFinished(t, o, dbaasv1.OpsFailed, dbaasv1.ActionFailedReason)
	msg := condition(t, o, dbaasv1.OpsSucceededCondition).Message
	for _, want := range []string{"Backup nightly exists already", "did not create it", "an earlier OpsRequest named nightly"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}

	createOps(t, newOps(ns, "again", "vault", dbaasv1.OpsBackup))
	mustReconcileOps(t, r, ns, "again")
	o = getOps(t, ns, "again")
	name := o.Status.Plan.Steps[0].Target.Name
	if o.Status.Phase != dbaasv1.OpsRunning || name != "again-"+string(o.UID)[:8] {
		t.Fatalf("phase %s, backup %q: want Running, again-<uid>", o.Status.Phase, name)
	}
	created := old.DeepCopy()
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, created); err != nil {
		t.Fatal(err)
	}
	if created.GetLabels()[dbaasv1.OpsRequestUIDLabel] != string(o.UID) {
		t.Fatalf("labels %v: want the OpsRequest's UID", created.GetLabels())
	}
}

// TestOpsPatchSkipsARecreatedTarget: a Kafka Restart annotates each pod by the UID
// the plan recorded; a pod Strimzi rolled before the operator resumed (a new UID) is
// not annotated again.
func TestOpsPatchSkipsARecreatedTarget(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "roll", withSize(1), func(c *dbaasv1.DatabaseCluster) { c.Spec.Engine = "kafka" }))
	pods := map[string]*corev1.Pod{}
	for _, name := range []string{"roll-roll-controller-0", "roll-roll-controller-1", "roll-roll-controller-2", "roll-roll-broker-3"} {
		pods[name] = kafkaPod(t, ns, name)
	}
	createOps(t, newOps(ns, "roll-restart", "roll", dbaasv1.OpsRestart))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))
	if !reconcileUntil(t, r, ns, "roll-restart", controller.AfterPlan) {
		t.Fatal("the operation never recorded its plan")
	}
	// Strimzi rolls controller-0 before the operator resumes.
	if err := k8s.Delete(ctx, pods["roll-roll-controller-0"]); err != nil {
		t.Fatal(err)
	}
	rolled := kafkaPod(t, ns, "roll-roll-controller-0")
	mustReconcileOps(t, r, ns, "roll-restart")

	steps := getOps(t, ns, "roll-restart").Status.Plan.Steps
	if len(steps) != 4 || !strings.Contains(steps[0].Message, "replaced since the plan was made: not patched") {
		t.Fatalf("steps %+v: want the first pod's found replaced", steps)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(rolled), rolled); err != nil {
		t.Fatal(err)
	}
	if v, ok := rolled.Annotations["strimzi.io/manual-rolling-update"]; ok {
		t.Fatalf("the pod Strimzi rolled was annotated again (%q)", v)
	}
	if n := f.calls("patch", "Pod"); n != 3 {
		t.Fatalf("%d pods annotated, want the 3 not rolled yet", n)
	}
}

// kafkaPod creates a Kafka node's pod, as Strimzi would.
func kafkaPod(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	pod.Namespace, pod.Name = ns, name
	pod.Spec.Containers = []corev1.Container{{Name: "kafka", Image: "quay.io/strimzi/kafka:0.40.0-kafka-3.7.0"}}
	if err := k8s.Create(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	return pod
}
