package devcluster

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/childcrds"
)

// collectWait bounds each wait on the garbage collector or the namespace controller.
// It is no speed requirement: a loaded machine may take long to get there.
const collectWait = 2 * time.Minute

// holdFinalizer keeps a dependent from going until the test lets it go.
const holdFinalizer = "test.dbaas.io/hold"

// TestGarbageCollection checks that the garbage collector of the shared control plane
// follows ownerReferences for each propagation policy.
func TestGarbageCollection(t *testing.T) {
	c := newClient(t)
	logOnFailure(t)

	t.Run("background", func(t *testing.T) {
		owner, dependent := ownedPair(t, c, "background", nil)
		deleteWith(t, c, owner, metav1.DeletePropagationBackground)
		waitGone(t, c, dependent)
	})

	t.Run("foreground", func(t *testing.T) {
		// The hold shows the order: the owner waits for its blocking dependent.
		owner, dependent := ownedPair(t, c, "foreground", []string{holdFinalizer})
		deleteWith(t, c, owner, metav1.DeletePropagationForeground)
		waitFor(t, "the dependent to be deleted", func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(dependent), dependent); err != nil {
				return false, err
			}
			return dependent.DeletionTimestamp != nil, nil
		})
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(owner), owner); err != nil {
			t.Fatalf("the owner must wait for its dependent: %v", err)
		}
		if !slices.Contains(owner.Finalizers, metav1.FinalizerDeleteDependents) {
			t.Fatalf("the owner is not deleting in the foreground: finalizers %v", owner.Finalizers)
		}
		release(t, c, dependent)
		waitGone(t, c, dependent)
		waitGone(t, c, owner)
	})

	t.Run("orphan", func(t *testing.T) {
		owner, dependent := ownedPair(t, c, "orphan", nil)
		deleteWith(t, c, owner, metav1.DeletePropagationOrphan)
		// The owner goes once the collector has removed it from its dependents.
		waitGone(t, c, owner)
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(dependent), dependent); err != nil {
			t.Fatalf("the orphaned dependent is gone: %v", err)
		}
		if len(dependent.OwnerReferences) != 0 {
			t.Errorf("the orphaned dependent keeps ownerReferences %v", dependent.OwnerReferences)
		}
		if err := c.Delete(t.Context(), dependent); err != nil {
			t.Error(err)
		}
	})
}

// TestNamespaceDeletion checks that a deleted namespace is emptied, custom resources
// included, and then removed.
func TestNamespaceDeletion(t *testing.T) {
	c := newClient(t)
	logOnFailure(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}
	if err := c.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "content", Namespace: ns.Name}}
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kafka.strimzi.io/v1beta2",
		"kind":       "KafkaNodePool",
		"metadata":   map[string]any{"name": "content", "namespace": ns.Name},
		"spec": map[string]any{
			"replicas": int64(1),
			"roles":    []any{"broker"},
			"storage":  map[string]any{"type": "ephemeral"},
		},
	}}
	for _, obj := range []client.Object{cm, pool} {
		if err := c.Create(t.Context(), obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, ns)
}

// TestControllerManagerLog checks that the controller manager's output is kept where
// the Cluster says.
func TestControllerManagerLog(t *testing.T) {
	data, err := os.ReadFile(cluster.ControllerManagerLogPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Starting") {
		t.Errorf("%s does not hold the start of kube-controller-manager:\n%s", cluster.ControllerManagerLogPath, data)
	}
}

// TestMissingControllerManager checks that Start explains how to build a missing
// kube-controller-manager before it starts anything.
func TestMissingControllerManager(t *testing.T) {
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := binDir(root)
	if err != nil {
		t.Fatal(err)
	}
	assets := t.TempDir()
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if err := os.Symlink(filepath.Join(bin, name), filepath.Join(assets, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBEBUILDER_ASSETS", assets)
	_, err = Start(t.Context(), Options{ControllerManager: true})
	if err == nil || !strings.Contains(err.Error(), "kube-controller-manager") || !strings.Contains(err.Error(), "make k8s-bin") {
		t.Fatalf("got error %v, want one that says to run make k8s-bin for kube-controller-manager", err)
	}
}

func newClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logOnFailure prints the end of the controller manager's log when t fails.
func logOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() && cluster.controllerManager != nil {
			t.Log(cluster.controllerManager.logTail())
		}
	})
}

// ownedPair creates two ConfigMaps in the default namespace: an owner and a
// dependent whose ownerReference blocks the owner's foreground deletion.
func ownedPair(t *testing.T, c client.Client, name string, dependentFinalizers []string) (owner, dependent *corev1.ConfigMap) {
	t.Helper()
	owner = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name + "-owner", Namespace: "default"}}
	if err := c.Create(t.Context(), owner); err != nil {
		t.Fatal(err)
	}
	dependent = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:       name + "-dependent",
		Namespace:  "default",
		Finalizers: dependentFinalizers,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion:         "v1",
			Kind:               "ConfigMap",
			Name:               owner.Name,
			UID:                owner.UID,
			BlockOwnerDeletion: new(true),
		}},
	}}
	if err := c.Create(t.Context(), dependent); err != nil {
		t.Fatal(err)
	}
	return owner, dependent
}

func deleteWith(t *testing.T, c client.Client, obj client.Object, policy metav1.DeletionPropagation) {
	t.Helper()
	if err := c.Delete(t.Context(), obj, client.PropagationPolicy(policy)); err != nil {
		t.Fatal(err)
	}
}

// release removes the hold finalizer from obj.
func release(t *testing.T, c client.Client, obj *corev1.ConfigMap) {
	t.Helper()
	patch := client.MergeFrom(obj.DeepCopy())
	obj.Finalizers = slices.DeleteFunc(obj.Finalizers, func(f string) bool { return f == holdFinalizer })
	if err := c.Patch(t.Context(), obj, patch); err != nil {
		t.Fatal(err)
	}
}

// waitGone waits until obj is not found.
func waitGone(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	waitFor(t, obj.GetName()+" to be gone", func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// waitFor polls done until it holds, fails or collectWait passes.
func waitFor(t *testing.T, what string, done wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, collectWait, true, done); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
