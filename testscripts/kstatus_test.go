package testscripts

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// cmdKstatus prints the status kstatus (what Flux and kpt use to decide that an
// apply has finished) computes for a live object:
//
//	kstatus <kind>/<name>
//
// It prints "<Status>: <message>", such as "Current: Resource is current".
func cmdKstatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || !strings.Contains(args[0], "/") {
		ts.Fatalf("usage: kstatus <kind>/<name>")
	}
	kind, name, _ := strings.Cut(args[0], "/")
	u := &unstructured.Unstructured{}
	switch kind {
	case "dbc", "databasecluster":
		u.SetGroupVersionKind(dbaasv1.GroupVersion.WithKind("DatabaseCluster"))
	case "ops", "opsrequest":
		u.SetGroupVersionKind(dbaasv1.GroupVersion.WithKind("OpsRequest"))
	default:
		ts.Fatalf("kstatus: unknown kind %s (dbc or ops)", kind)
	}
	if err := env.client.Get(context.Background(), types.NamespacedName{Namespace: ts.Getenv("NAMESPACE"), Name: name}, u); err != nil {
		ts.Fatalf("kstatus: %v", err)
	}
	res, err := status.Compute(u)
	if err != nil {
		ts.Fatalf("kstatus: %v", err)
	}
	fmt.Fprintf(ts.Stdout(), "%s: %s\n", res.Status, res.Message)
}

// TestKstatusNeverCurrentEarly watches a DatabaseCluster from its creation through a
// scale-out and checks, on every version the API server sends, that kstatus never
// calls it Current before it is Ready at its current spec: a GitOps tool waiting for
// Current must not go on while the database is still being created or scaled.
func TestKstatusNeverCurrentEarly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := scratchNamespace(t)
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(dbaasv1.GroupVersion.WithKind("DatabaseClusterList"))
	watcher, err := client.NewWithWatch(env.cluster.Config, client.Options{Scheme: env.client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := watcher.Watch(ctx, list, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	versions := make(chan *unstructured.Unstructured, 1000)
	go func() {
		for e := range w.ResultChan() {
			if u, ok := e.Object.(*unstructured.Unstructured); ok && (e.Type == watch.Added || e.Type == watch.Modified) {
				versions <- u
			}
		}
		close(versions)
	}()

	c := &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gitops"}}
	c.Spec.Engine = "postgresql"
	c.Spec.Storage.Size.Set(1 << 30)
	if err := env.client.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	currents := 0
	await := func(want int32) {
		t.Helper()
		for {
			select {
			case u := <-versions:
				res, err := status.Compute(u)
				if err != nil {
					t.Fatal(err)
				}
				typed := &dbaasv1.DatabaseCluster{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
					t.Fatal(err)
				}
				if res.Status == status.CurrentStatus {
					currents++
					if !readyAt(typed, want) {
						t.Fatalf("kstatus says Current at generation %d while the cluster is %s with %d/%d ready instances of %d wanted (observedGeneration %d)",
							typed.Generation, typed.Status.Phase, typed.Status.ReadyInstances, typed.Status.Instances, want, typed.Status.ObservedGeneration)
					}
					return
				}
			case <-ctx.Done():
				t.Fatalf("the cluster never became Current with %d instances", want)
			}
		}
	}

	// Creation: in progress until the child reports a healthy instance.
	first := <-versions
	if res, err := status.Compute(first); err != nil || res.Status != status.InProgressStatus {
		t.Fatalf("a new cluster is %v (%v), want InProgress", res, err)
	}
	simulateUntilReady(ctx, t, ns, "gitops")
	await(1)

	// A scale-out: in progress until the new instance is ready.
	if err := env.client.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil {
		t.Fatal(err)
	}
	c.Spec.ClusterSize = new(int32(2))
	if err := env.client.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	simulateUntilReady(ctx, t, ns, "gitops")
	await(2)
	if currents != 2 {
		t.Fatalf("saw %d Current versions, want 2", currents)
	}
}

// readyAt reports whether the cluster is Ready at its current spec with want
// instances.
func readyAt(c *dbaasv1.DatabaseCluster, want int32) bool {
	return c.Status.ObservedGeneration == c.Generation && c.Status.Phase == dbaasv1.PhaseReady &&
		meta.IsStatusConditionTrue(c.Status.Conditions, dbaasv1.ReadyCondition) &&
		c.Status.Instances == want && c.Status.ReadyInstances == want
}

// simulateUntilReady plays a healthy child operator once the operator reconciled the
// cluster's current generation.
func simulateUntilReady(ctx context.Context, t *testing.T, ns, name string) {
	t.Helper()
	for {
		err := reconciled(ctx, ns, name)
		if err == nil {
			var n int
			if n, err = env.simulator.Cluster(ctx, ns, name, "healthy"); err == nil && n > 0 {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cannot simulate %s: %v", name, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// scratchNamespace creates a namespace for a Go test of this package.
func scratchNamespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("go-%s-%d", sanitize(t.Name()), namespaces.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return name
}
