package controller_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// getChild reads the CNPG Cluster of that name, returning the API error.
func getChild(ns, name string) (*unstructured.Unstructured, error) {
	return getChildKind(ns, "Cluster", name)
}

// getChildKind reads a CNPG object of that kind and name, returning the API error.
func getChildKind(ns, kind, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind(kind)
	return u, k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u)
}

// findCondition returns a condition of a cluster, failing the test without it.
func findCondition(t *testing.T, ns, name, condition string) *metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(getCluster(t, ns, name).Status.Conditions, condition)
	if c == nil {
		t.Fatalf("no %s condition", condition)
	}
	return c
}

// annotate sets one annotation on a DatabaseCluster.
func annotate(t *testing.T, ns, name, key, value string) {
	t.Helper()
	c := getCluster(t, ns, name)
	patch := client.MergeFrom(c.DeepCopy())
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[key] = value
	if err := k8s.Patch(context.Background(), c, patch); err != nil {
		t.Fatal(err)
	}
}

// hasEvent reports whether the recorder holds an event starting with prefix
// ("Warning Reason"), draining it.
func hasEvent(r *events.FakeRecorder, prefix string) bool {
	found := false
	for {
		select {
		case e := <-r.Events:
			if strings.HasPrefix(e, prefix) {
				found = true
			}
		default:
			return found
		}
	}
}

// failingApplies is a client whose first n server-side applies fail as the API
// server does when it is overloaded.
func failingApplies(n int64) client.Client {
	var left atomic.Int64
	left.Store(n)
	return interceptor.NewClient(k8s, interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if left.Add(-1) >= 0 {
				return errors.New("the server is currently unable to handle the request")
			}
			return c.Apply(ctx, obj, opts...)
		},
	})
}

// countingClusterReads wraps c and counts its reads of DatabaseClusters, typed or
// unstructured.
func countingClusterReads(c client.WithWatch) (client.WithWatch, *atomic.Int64) {
	return countingReads(c, "DatabaseCluster")
}

// countingReads wraps c and counts its reads of objects of kind, typed or
// unstructured.
func countingReads(c client.WithWatch, kind string) (client.WithWatch, *atomic.Int64) {
	reads := &atomic.Int64{}
	return interceptor.NewClient(c, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if kindOf(obj) == kind {
				reads.Add(1)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}), reads
}
