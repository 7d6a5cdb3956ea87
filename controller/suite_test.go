package controller_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// k8s is the package's control plane client (real kube-apiserver and etcd).
var k8s client.WithWatch

func TestMain(m *testing.M) {
	cluster, err := devcluster.Start(context.Background(), devcluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scheme, err := operator.Scheme()
	if err == nil {
		k8s, err = client.NewWithWatch(cluster.Config, client.Options{Scheme: scheme})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// writeCounter counts the writes a client sends to the API server.
type writeCounter struct{ n atomic.Int64 }

func (w *writeCounter) client() client.Client {
	count := func() { w.n.Add(1) }
	return interceptor.NewClient(k8s, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			count()
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			count()
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			count()
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			count()
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			count()
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			count()
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			count()
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

// reconciler builds a DatabaseClusterReconciler over c with the engines of registry.
func reconciler(c client.Client, registry *render.Registry) *controller.DatabaseClusterReconciler {
	return &controller.DatabaseClusterReconciler{
		Client:        c,
		Providers:     &provider.Factory{Registry: registry},
		Recorder:      events.NewFakeRecorder(100),
		Applier:       apply.NewApplier(c),
		RetryInterval: time.Second,
	}
}

// embeddedRegistry loads the shipped engines.
func embeddedRegistry(t *testing.T) *render.Registry {
	t.Helper()
	r, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// namespace creates a namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("t%d", time.Now().UnixNano())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}

// reconcile runs one reconcile of the named cluster and fails the test on error.
func reconcile(t *testing.T, r *controller.DatabaseClusterReconciler, ns, name string) ctrl.Result {
	t.Helper()
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return res
}

// getCluster reads a DatabaseCluster.
func getCluster(t *testing.T, ns, name string) *dbaasv1.DatabaseCluster {
	t.Helper()
	c := &dbaasv1.DatabaseCluster{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, c); err != nil {
		t.Fatal(err)
	}
	return c
}
