package operator

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/devcluster"
)

// TestTypedOwnKinds: DatabaseClusters read as unstructured objects are read through
// the typed client (so the cache runs one informer of the kind) and come back
// whole, with their apiVersion and kind; other kinds pass through.
func TestTypedOwnKinds(t *testing.T) {
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cluster.Stop() }()
	scheme, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	real, err := client.NewWithWatch(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	recording := interceptor.NewClient(real, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			seen = append(seen, fmt.Sprintf("%T", obj))
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			seen = append(seen, fmt.Sprintf("%T", list))
			return c.List(ctx, list, opts...)
		},
	})
	c := typedOwnKinds{Client: recording}

	if err := real.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "typed"}}); err != nil {
		t.Fatal(err)
	}
	dbc := &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "typed", Name: "source", Labels: map[string]string{"team": "a"}}}
	dbc.Spec.Engine, dbc.Spec.Storage.Size = "postgresql", resource.MustParse("1Gi")
	if err := real.Create(ctx, dbc); err != nil {
		t.Fatal(err)
	}

	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(dbaasv1.GroupVersion.WithKind("DatabaseCluster"))
	if err := c.Get(ctx, client.ObjectKey{Namespace: "typed", Name: "source"}, u); err != nil {
		t.Fatal(err)
	}
	if u.GetKind() != "DatabaseCluster" || u.GetAPIVersion() != "dbaas.io/v1alpha1" || u.GetLabels()["team"] != "a" {
		t.Fatalf("read %s %s labels %v", u.GetAPIVersion(), u.GetKind(), u.GetLabels())
	}
	if engine, _, _ := unstructured.NestedString(u.Object, "spec", "engine"); engine != "postgresql" {
		t.Fatalf("spec.engine = %q", engine)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(dbaasv1.GroupVersion.WithKind("DatabaseClusterList"))
	if err := c.List(ctx, list, client.InNamespace("typed")); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].GetKind() != "DatabaseCluster" || list.Items[0].GetName() != "source" {
		t.Fatalf("listed %+v", list.Items)
	}
	secret := &unstructured.Unstructured{}
	secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	_ = c.Get(ctx, client.ObjectKey{Namespace: "typed", Name: "none"}, secret)

	want := []string{"*v1alpha1.DatabaseCluster", "*v1alpha1.DatabaseClusterList", "*unstructured.Unstructured"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("the reads reached the client as %v, want %v", seen, want)
	}
}

// TestCacheThenLiveReadsWhatTheCacheHasNotSeen: a namespace the informer has not
// seen yet is read from the API server, so a tier label set at its creation counts;
// what the cache holds is never read live.
func TestCacheThenLiveReadsWhatTheCacheHasNotSeen(t *testing.T) {
	ctx := context.Background()
	seen := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "seen"}}
	fresh := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fresh", Labels: map[string]string{"dbaas.io/tier": "premium"}}}
	cached := fake.NewClientBuilder().WithObjects(seen.DeepCopy()).Build()
	var liveReads []string
	live := interceptor.NewClient(fake.NewClientBuilder().WithObjects(seen.DeepCopy(), fresh.DeepCopy()).Build(), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			liveReads = append(liveReads, key.Name)
			return c.Get(ctx, key, obj, opts...)
		},
	})
	r := cacheThenLive{cached: cached, live: live}

	got := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: "fresh"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Labels["dbaas.io/tier"] != "premium" {
		t.Fatalf("fresh namespace read with labels %v", got.Labels)
	}
	if err := r.Get(ctx, client.ObjectKey{Name: "seen"}, &corev1.Namespace{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Get(ctx, client.ObjectKey{Name: "gone"}, &corev1.Namespace{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a namespace that exists nowhere: %v", err)
	}
	if want := []string{"fresh", "gone"}; fmt.Sprint(liveReads) != fmt.Sprint(want) {
		t.Fatalf("read live %v, want %v", liveReads, want)
	}
}
