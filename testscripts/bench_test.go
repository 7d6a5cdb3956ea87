package testscripts

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// BenchmarkAdmission measures what the validating webhooks add to an apply: the
// same server-side dry-run create of a DatabaseCluster in a namespace the webhooks
// serve and in one they skip, reported as p50 and p99 of each and their difference.
func BenchmarkAdmission(b *testing.B) {
	ctx := context.Background()
	skipWebhooks(b)
	served, skipped := benchNamespace(b, nil), benchNamespace(b, map[string]string{"dbaas.io/webhooks": "skip"})
	var with, without []time.Duration
	for i := 0; b.Loop(); i++ {
		for _, ns := range []string{served, skipped} {
			c := benchCluster(ns, fmt.Sprintf("bench-%d", i))
			start := time.Now()
			if err := env.client.Create(ctx, c, client.DryRunAll); err != nil {
				b.Fatal(err)
			}
			if ns == served {
				with = append(with, time.Since(start))
			} else {
				without = append(without, time.Since(start))
			}
		}
	}
	p50w, p99w := percentiles(with)
	p50o, p99o := percentiles(without)
	b.ReportMetric(float64(p50w.Microseconds())/1000, "ms-p50-webhook")
	b.ReportMetric(float64(p99w.Microseconds())/1000, "ms-p99-webhook")
	b.ReportMetric(float64(p50o.Microseconds())/1000, "ms-p50-no-webhook")
	b.ReportMetric(float64(p99o.Microseconds())/1000, "ms-p99-no-webhook")
	b.ReportMetric(float64((p99w-p99o).Microseconds())/1000, "ms-p99-added")
}

// BenchmarkOpsToChildChange measures, for 50 OpsRequests created at once on 50
// clusters, the time from an OpsRequest's creation to its change reaching the child
// (the CloudNativePG Cluster's spec.instances), reported as p50 and p99.
func BenchmarkOpsToChildChange(b *testing.B) {
	ctx := context.Background()
	const clusters = 50
	for b.Loop() {
		ns := benchNamespace(b, nil)
		for i := range clusters {
			if err := env.client.Create(ctx, benchCluster(ns, fmt.Sprintf("c%d", i))); err != nil {
				b.Fatal(err)
			}
		}
		for i := range clusters {
			waitFor(b, func() bool { return childInstances(ctx, ns, fmt.Sprintf("c%d", i)) == 1 })
		}
		// The clock starts once every cluster is settled, so no leftover work from
		// their creation competes with the operations.
		for i := range clusters {
			waitFor(b, func() bool { return clusterSettled(ctx, ns, fmt.Sprintf("c%d", i)) })
		}
		waitFor(b, queuesIdle)
		// A watch on the children notes when each first has the new size. (Polling
		// with lists would load the API server the benchmark measures.)
		created := make([]time.Time, clusters)
		changed := make([]time.Time, clusters)
		watched := watchChildSizes(ctx, b, ns, clusters, 2, changed)
		var wg sync.WaitGroup
		for i := range clusters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("c%d", i)
				ops := &dbaasv1.OpsRequest{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-scale"},
					Spec: dbaasv1.OpsRequestSpec{ClusterRef: name, Type: dbaasv1.OpsHorizontalScaling,
						HorizontalScaling: &dbaasv1.HorizontalScaling{Replicas: 2}},
				}
				created[i] = time.Now()
				if err := env.client.Create(ctx, ops); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		select {
		case <-watched:
		case <-time.After(2 * time.Minute):
			b.Fatal("not every child changed within 2 minutes")
		}
		latencies := make([]time.Duration, clusters)
		for i := range clusters {
			latencies[i] = changed[i].Sub(created[i])
		}
		p50, p99 := percentiles(latencies)
		b.ReportMetric(float64(p50.Microseconds())/1000, "ms-p50")
		b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99")
	}
}

// watchChildSizes records in changed[i] when the CloudNativePG Cluster c<i> of ns
// first has spec.instances == size; the channel closes once all have.
func watchChildSizes(ctx context.Context, b *testing.B, ns string, clusters int, size int64, changed []time.Time) <-chan struct{} {
	wc, err := client.NewWithWatch(env.cluster.Config, client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("postgresql.cnpg.io/v1")
	list.SetKind("ClusterList")
	w, err := wc.Watch(ctx, list, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Stop()
		for remaining := clusters; remaining > 0; {
			ev, ok := <-w.ResultChan()
			if !ok {
				return
			}
			now := time.Now()
			item, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			var i int
			if _, err := fmt.Sscanf(item.GetName(), "c%d", &i); err != nil || i >= clusters || !changed[i].IsZero() {
				continue
			}
			if n, _, _ := unstructured.NestedInt64(item.Object, "spec", "instances"); n == size {
				changed[i] = now
				remaining--
			}
		}
	}()
	return done
}

// clusterSettled reports whether the cluster's status describes its current
// generation, so its controller has nothing left to do.
func clusterSettled(ctx context.Context, ns, name string) bool {
	c := &dbaasv1.DatabaseCluster{}
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, c); err != nil {
		return false
	}
	return c.Status.ObservedGeneration == c.Generation && meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReconciledCondition) != nil
}

// queuesIdle reports whether the operator's controllers have nothing queued or in
// progress (controller-runtime's workqueue metrics), twice 100ms apart, so that the
// status writes that follow a cluster's creation, and the reconciles they cause,
// are over.
func queuesIdle() bool {
	for range 2 {
		families, err := metrics.Registry.Gather()
		if err != nil {
			return false
		}
		for _, f := range families {
			if f.GetName() != "workqueue_depth" && f.GetName() != "workqueue_unfinished_work_seconds" {
				continue
			}
			for _, m := range f.GetMetric() {
				if m.GetGauge().GetValue() != 0 {
					return false
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// skipWebhooks lets namespaces labelled dbaas.io/webhooks=skip bypass the webhooks,
// for the duration of the benchmark.
func skipWebhooks(b *testing.B) {
	ctx := context.Background()
	var list admissionv1.ValidatingWebhookConfigurationList
	if err := env.client.List(ctx, &list); err != nil {
		b.Fatal(err)
	}
	selector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "dbaas.io/webhooks", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"skip"}}}}
	for i := range list.Items {
		vwc := &list.Items[i]
		before := vwc.DeepCopy()
		for j := range vwc.Webhooks {
			vwc.Webhooks[j].NamespaceSelector = selector
		}
		if err := env.client.Patch(ctx, vwc, client.MergeFrom(before)); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			current := &admissionv1.ValidatingWebhookConfiguration{}
			if env.client.Get(ctx, client.ObjectKeyFromObject(vwc), current) == nil {
				restored := current.DeepCopy()
				for j := range restored.Webhooks {
					restored.Webhooks[j].NamespaceSelector = before.Webhooks[j].NamespaceSelector
				}
				_ = env.client.Patch(ctx, restored, client.MergeFrom(current))
			}
		})
	}
	time.Sleep(time.Second) // the API server reloads webhook configurations asynchronously
}

func benchNamespace(b *testing.B, labels map[string]string) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-", Labels: labels}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		b.Fatal(err)
	}
	return ns.Name
}

func benchCluster(ns, name string) *dbaasv1.DatabaseCluster {
	return &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine:  "postgresql",
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
			Config:  []dbaasv1.ConfigParameter{{Name: "max_connections", Value: "200"}, {Name: "work_mem", Value: "8MB"}},
		},
	}
}

func childInstances(ctx context.Context, ns, name string) int64 {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		return 0
	}
	n, _, _ := unstructured.NestedInt64(u.Object, "spec", "instances")
	return n
}

// waitFor polls cond every 10ms for up to a minute.
func waitFor(b *testing.B, cond func() bool) {
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Error("timed out")
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := slices.Sorted(slices.Values(d))
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}
