package controller_test

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/simulate"
)

// opsReconciler builds an OpsRequestReconciler over c with the embedded engines, no
// policy and a fake clock set to now. c must answer lists of OpsRequests by
// spec.clusterRef, as the manager's cache does (indexed).
func opsReconciler(t *testing.T, c client.Client) (*controller.OpsRequestReconciler, *clocktesting.FakeClock) {
	t.Helper()
	clock := clocktesting.NewFakeClock(time.Now())
	return &controller.OpsRequestReconciler{
		Client:    c,
		Providers: &provider.Factory{Registry: embeddedRegistry(t)},
		Recorder:  events.NewFakeRecorder(1000),
		Clock:     clock,
	}, clock
}

// readyCluster creates a PostgreSQL cluster, renders its children and plays
// CloudNativePG reporting them healthy.
func readyCluster(t *testing.T, c *dbaasv1.DatabaseCluster) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	registry := embeddedRegistry(t)
	r := reconciler(k8s, registry)
	reconcile(t, r, c.Namespace, c.Name)
	sim, err := simulate.New(k8s, registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Cluster(ctx, c.Namespace, c.Name, "healthy"); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, c.Namespace, c.Name)
}

// opsOption changes an OpsRequest built by newOps.
type opsOption func(*dbaasv1.OpsRequest)

// newOps builds an OpsRequest of a type.
func newOps(ns, name, cluster string, opsType dbaasv1.OpsType, opts ...opsOption) *dbaasv1.OpsRequest {
	o := &dbaasv1.OpsRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       dbaasv1.OpsRequestSpec{ClusterRef: cluster, Type: opsType},
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// scaleTo makes a HorizontalScaling to n instances.
func scaleTo(n int32) opsOption {
	return func(o *dbaasv1.OpsRequest) { o.Spec.HorizontalScaling = &dbaasv1.HorizontalScaling{Replicas: n} }
}

// createOps creates an OpsRequest.
func createOps(t *testing.T, o *dbaasv1.OpsRequest) {
	t.Helper()
	if err := k8s.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// reconcileOps runs one reconcile of an OpsRequest.
func reconcileOps(r *controller.OpsRequestReconciler, ns, name string) (ctrl.Result, error) {
	return r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
}

// mustReconcileOps runs one reconcile of an OpsRequest and fails the test on error.
func mustReconcileOps(t *testing.T, r *controller.OpsRequestReconciler, ns, name string) ctrl.Result {
	t.Helper()
	res, err := reconcileOps(r, ns, name)
	if err != nil {
		t.Fatalf("reconcile %s: %v", name, err)
	}
	return res
}

// reconcileUntil runs reconciles of an OpsRequest, with the hook that stops it at
// point (a panic, as the fault-injection tests kill the operator), and reports
// whether the point was reached.
func reconcileUntil(t *testing.T, r *controller.OpsRequestReconciler, ns, name, point string) (reached bool) {
	t.Helper()
	type stopped struct{}
	r.Hook = func(_ context.Context, p string, _ *dbaasv1.OpsRequest) {
		if p == point {
			panic(stopped{})
		}
	}
	defer func() {
		r.Hook = nil
		if v := recover(); v != nil {
			if _, ok := v.(stopped); !ok {
				panic(v)
			}
			reached = true
		}
	}()
	_, _ = reconcileOps(r, ns, name)
	return false
}

// getOps reads an OpsRequest.
func getOps(t *testing.T, ns, name string) *dbaasv1.OpsRequest {
	t.Helper()
	o := &dbaasv1.OpsRequest{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, o); err != nil {
		t.Fatal(err)
	}
	return o
}

// condition returns an OpsRequest's condition, failing the test when it is absent.
func condition(t *testing.T, o *dbaasv1.OpsRequest, conditionType string) *metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(o.Status.Conditions, conditionType)
	if c == nil {
		t.Fatalf("OpsRequest %s has no %s condition; status: %+v", o.Name, conditionType, o.Status)
	}
	return c
}

// wantFinished checks an OpsRequest's final phase and the reason of its Succeeded
// condition.
func wantFinished(t *testing.T, o *dbaasv1.OpsRequest, phase dbaasv1.OpsPhase, reason string) {
	t.Helper()
	if o.Status.Phase != phase {
		t.Fatalf("phase = %q, want %s; conditions: %+v", o.Status.Phase, phase, o.Status.Conditions)
	}
	if c := condition(t, o, dbaasv1.OpsSucceededCondition); c.Reason != reason {
		t.Fatalf("Succeeded reason = %s (%s), want %s", c.Reason, c.Message, reason)
	}
}

// instance creates the PVC and the pod of a CloudNativePG instance, as CloudNativePG
// would.
func instance(t *testing.T, ns, name string) (pvc *corev1.PersistentVolumeClaim, pod *corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	pvc = &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	pod = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "ghcr.io/cloudnative-pg/postgresql:17.6"}}},
	}
	for _, o := range []client.Object{pvc, pod} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return pvc, pod
}

// indexed wraps c so that it answers lists of OpsRequests by the field spec.clusterRef,
// as the manager's cache does with the index the controller registers; the API
// server itself serves no such field selector.
func indexed(c client.WithWatch) client.WithWatch {
	return interceptor.NewClient(c, interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			o := &client.ListOptions{}
			o.ApplyOptions(opts)
			ops, ok := list.(*dbaasv1.OpsRequestList)
			if !ok || o.FieldSelector == nil {
				return c.List(ctx, list, opts...)
			}
			cluster, found := o.FieldSelector.RequiresExactMatch("spec.clusterRef")
			if !found {
				return c.List(ctx, list, opts...)
			}
			if err := c.List(ctx, ops, client.InNamespace(o.Namespace)); err != nil {
				return err
			}
			ops.Items = slices.DeleteFunc(ops.Items, func(o dbaasv1.OpsRequest) bool { return o.Spec.ClusterRef != cluster })
			return nil
		},
	})
}
