package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// tracker watches the DatabaseClusters and their CloudNativePG Clusters and notes
// when things happen, so that nothing polls the API server the benchmark measures.
type tracker struct {
	informers cache.Cache

	mu sync.Mutex
	// created is when the create of each cluster was sent; ready when the tracker
	// first saw it Ready.
	created, ready map[types.NamespacedName]time.Time
	// expected are the CloudNativePG Clusters awaited at a number of instances.
	expected map[types.NamespacedName]expectation
	// ending are the OpsRequests awaited in a final phase; each channel is closed
	// when its request is seen in one.
	ending map[types.NamespacedName]chan struct{}
}

// expectation awaits a child with spec.instances == instances; seen receives when.
type expectation struct {
	instances int64
	seen      chan time.Time
}

// cnpgCluster is the kind of the child a minimal postgresql cluster has.
func cnpgCluster() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	return u
}

// startTracker starts the informers on cfg and waits until they have synced.
func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme) (*tracker, error) {
	labelled, err := labels.NewRequirement(dbaasv1.ClusterLabel, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot select the children: %w", err)
	}
	informers, err := cache.New(cfg, cache.Options{
		Scheme:           scheme,
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject:         map[client.Object]cache.ByObject{cnpgCluster(): {Label: labels.NewSelector().Add(*labelled)}},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot create the tracker's cache: %w", err)
	}
	t := &tracker{
		informers: informers,
		created:   map[types.NamespacedName]time.Time{},
		ready:     map[types.NamespacedName]time.Time{},
		expected:  map[types.NamespacedName]expectation{},
		ending:    map[types.NamespacedName]chan struct{}{},
	}
	clusters, err := informers.GetInformer(ctx, &dbaasv1.DatabaseCluster{})
	if err != nil {
		return nil, fmt.Errorf("cannot watch the DatabaseClusters: %w", err)
	}
	if _, err := clusters.AddEventHandler(onAddOrUpdate(t.clusterChanged)); err != nil {
		return nil, fmt.Errorf("cannot watch the DatabaseClusters: %w", err)
	}
	children, err := informers.GetInformer(ctx, cnpgCluster())
	if err != nil {
		return nil, fmt.Errorf("cannot watch the CloudNativePG Clusters: %w", err)
	}
	if _, err := children.AddEventHandler(onAddOrUpdate(t.childChanged)); err != nil {
		return nil, fmt.Errorf("cannot watch the CloudNativePG Clusters: %w", err)
	}
	requests, err := informers.GetInformer(ctx, &dbaasv1.OpsRequest{})
	if err != nil {
		return nil, fmt.Errorf("cannot watch the OpsRequests: %w", err)
	}
	if _, err := requests.AddEventHandler(onAddOrUpdate(t.requestChanged)); err != nil {
		return nil, fmt.Errorf("cannot watch the OpsRequests: %w", err)
	}
	go func() {
		// Start returns when ctx ends; an error before that shows as a failed sync.
		_ = informers.Start(ctx)
	}()
	syncCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if !informers.WaitForCacheSync(syncCtx) {
		return nil, fmt.Errorf("the tracker's informers did not sync: %w", syncCtx.Err())
	}
	return t, nil
}

// onAddOrUpdate calls f with the new object of every add and update.
func onAddOrUpdate(f func(obj any)) toolscache.ResourceEventHandlerFuncs {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    f,
		UpdateFunc: func(_, obj any) { f(obj) },
	}
}

// isReady reports whether the cluster is Ready at its current spec.
func isReady(c *dbaasv1.DatabaseCluster) bool {
	return c.Status.Phase == dbaasv1.PhaseReady &&
		c.Status.ObservedGeneration == c.Generation &&
		meta.IsStatusConditionTrue(c.Status.Conditions, dbaasv1.ReadyCondition)
}

func (t *tracker) clusterChanged(obj any) {
	now := time.Now()
	c, ok := obj.(*dbaasv1.DatabaseCluster)
	if !ok || !isReady(c) {
		return
	}
	key := client.ObjectKeyFromObject(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, seen := t.ready[key]; !seen {
		t.ready[key] = now
	}
}

func (t *tracker) childChanged(obj any) {
	now := time.Now()
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(u)
	instances, _, _ := unstructured.NestedInt64(u.Object, "spec", "instances")
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.expected[key]; ok && e.instances == instances {
		delete(t.expected, key)
		e.seen <- now
	}
}

func (t *tracker) requestChanged(obj any) {
	ops, ok := obj.(*dbaasv1.OpsRequest)
	if !ok || !ops.Status.Phase.Finished() {
		return
	}
	key := client.ObjectKeyFromObject(ops)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ended, ok := t.ending[key]; ok {
		delete(t.ending, key)
		close(ended)
	}
}

// creating notes that the create of a cluster is being sent.
func (t *tracker) creating(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.created[key] = time.Now()
}

// readyCount is how many clusters have been seen Ready.
func (t *tracker) readyCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ready)
}

// createToReady returns, for each cluster created and seen Ready, the time between
// the two, and the time the last one was seen Ready.
func (t *tracker) createToReady() (latencies []time.Duration, last time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, created := range t.created {
		ready, ok := t.ready[key]
		if !ok {
			continue
		}
		latencies = append(latencies, ready.Sub(created))
		if ready.After(last) {
			last = ready
		}
	}
	return latencies, last
}

// expect returns a channel that receives when the child of key is seen with
// spec.instances == instances.
func (t *tracker) expect(key types.NamespacedName, instances int64) <-chan time.Time {
	seen := make(chan time.Time, 1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expected[key] = expectation{instances: instances, seen: seen}
	return seen
}

// expectEnd returns a channel that is closed when the OpsRequest key is seen in a
// final phase (Succeeded, Failed, Cancelled, TimedOut). Call it before creating the
// request.
func (t *tracker) expectEnd(key types.NamespacedName) <-chan struct{} {
	ended := make(chan struct{})
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ending[key] = ended
	return ended
}

// forget drops the expectations (a child's size, a request's end) of keys that
// timed out.
func (t *tracker) forget(keys ...types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, key := range keys {
		delete(t.expected, key)
		delete(t.ending, key)
	}
}

// instances is the child's spec.instances, as last seen.
func (t *tracker) instances(ctx context.Context, key types.NamespacedName) (int64, error) {
	u := cnpgCluster()
	if err := t.informers.Get(ctx, key, u); err != nil {
		return 0, fmt.Errorf("cannot read the CloudNativePG Cluster %s: %w", key, err)
	}
	n, _, err := unstructured.NestedInt64(u.Object, "spec", "instances")
	if err != nil {
		return 0, fmt.Errorf("cannot read spec.instances of %s: %w", key, err)
	}
	return n, nil
}

// notReady returns how many of the clusters are not Ready at their current spec.
func (t *tracker) notReady(ctx context.Context) (int, error) {
	var list dbaasv1.DatabaseClusterList
	if err := t.informers.List(ctx, &list); err != nil {
		return 0, fmt.Errorf("cannot list the DatabaseClusters: %w", err)
	}
	n := 0
	for i := range list.Items {
		if !isReady(&list.Items[i]) {
			n++
		}
	}
	return n, nil
}
