package simulate

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// workers is how many clusters are simulated at once: evaluations take turns on
// one CUE context, the status writes of several clusters overlap.
const workers = 4

// waitingRetry is how soon a cluster whose child lacks an object its child
// operator requires is simulated again.
const waitingRetry = 5 * time.Second

// Run plays scenario for the children of every DatabaseCluster until ctx ends.
// It watches, with informers of its own on cfg, the DatabaseClusters and the
// engines' child kinds (only objects labelled with a cluster), and simulates a
// cluster when it is created, when its spec changes and when one of its children
// changes. Idle, it reads and evaluates nothing. `dbaasctl dev --simulate` runs it.
func (s *Simulator) Run(ctx context.Context, cfg *rest.Config, scenario string) error {
	kinds := s.childKinds()
	byObject, err := labelledChildren(kinds)
	if err != nil {
		return err
	}
	informers, err := cache.New(cfg, cache.Options{
		Scheme:           s.client.Scheme(),
		ByObject:         byObject,
		DefaultTransform: cache.TransformStripManagedFields(),
	})
	if err != nil {
		return fmt.Errorf("cannot create the simulator's cache: %w", err)
	}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName]())
	defer queue.ShutDown()
	if err := watchClusters(ctx, informers, queue); err != nil {
		return err
	}
	for _, gvk := range kinds {
		if err := watchChildren(ctx, informers, gvk, queue); err != nil {
			return err
		}
	}
	// A cache that fails to start ends the wait for its sync.
	syncCtx, cancelSync := context.WithCancel(ctx)
	defer cancelSync()
	started := make(chan error, 1)
	go func() {
		started <- informers.Start(ctx)
		cancelSync()
	}()
	if !informers.WaitForCacheSync(syncCtx) {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cannot start the simulator's cache: %w", <-started)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for s.next(ctx, informers, queue, scenario) {
			}
		})
	}
	<-ctx.Done()
	queue.ShutDown()
	wg.Wait()
	return nil
}

// next simulates one queued cluster; it reports false once the queue shuts down.
// A failure (a write that lost to a newer version of the child) is retried later.
func (s *Simulator) next(ctx context.Context, reader client.Reader, queue workqueue.TypedRateLimitingInterface[types.NamespacedName], scenario string) bool {
	key, shutdown := queue.Get()
	if shutdown {
		return false
	}
	defer queue.Done(key)
	_, waiting, err := s.cluster(ctx, reader, key.Namespace, key.Name, scenario)
	switch {
	case err == nil && waiting:
		// A child operator waits for an object that is not watched here (an
		// issuer): it looks again, as cert-manager does when one is created.
		queue.Forget(key)
		queue.AddAfter(key, waitingRetry)
	case err == nil, apierrors.IsNotFound(err), ctx.Err() != nil:
		queue.Forget(key)
	case apierrors.IsConflict(err):
		// The cached child was older than the API server's: its newer version is
		// on its way to the cache, and the retry simulates that one.
		queue.AddRateLimited(key)
	default:
		log.FromContext(ctx).Error(err, "cannot simulate a cluster; retrying", "cluster", key)
		queue.AddRateLimited(key)
	}
	return true
}

// childKinds lists the child kinds of every loaded engine that has a simulation.
func (s *Simulator) childKinds() []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []schema.GroupVersionKind
	for _, e := range s.registry.Engines() {
		if _, ok := s.engines[e.Name]; !ok {
			continue
		}
		for _, gvk := range e.Kinds {
			if !seen[gvk] {
				seen[gvk] = true
				kinds = append(kinds, gvk)
			}
		}
	}
	return kinds
}

// writtenKind is the kind of the objects child operators write beside their
// children (the Secrets with the credentials they generate), which the simulator
// writes too (writes.go) and looks up in its cache before writing.
var writtenKind = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}

// labelledChildren restricts the cache of each child kind to the objects labelled
// with a cluster, but for writtenKind: a child operator's Secrets carry no cluster
// label, and a replay that did not find them in the cache created them again, to be
// refused by the API server each time. Their events queue nothing (watchChildren
// queues the labelled ones).
func labelledChildren(kinds []schema.GroupVersionKind) (map[client.Object]cache.ByObject, error) {
	req, err := labels.NewRequirement(dbaasv1.ClusterLabel, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot select the labelled children: %w", err)
	}
	selector := labels.NewSelector().Add(*req)
	byObject := map[client.Object]cache.ByObject{object(writtenKind): {}}
	for _, gvk := range kinds {
		if gvk != writtenKind {
			byObject[object(gvk)] = cache.ByObject{Label: selector}
		}
	}
	return byObject, nil
}

// watchClusters queues a DatabaseCluster when it is created (or found at start)
// and when its spec changes; its status changes do not change what is simulated.
func watchClusters(ctx context.Context, informers cache.Cache, queue workqueue.TypedInterface[types.NamespacedName]) error {
	informer, err := informers.GetInformer(ctx, &dbaasv1.DatabaseCluster{})
	if err != nil {
		return fmt.Errorf("cannot watch DatabaseClusters: %w", err)
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if c, ok := obj.(client.Object); ok {
				queue.Add(client.ObjectKeyFromObject(c))
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, okOld := oldObj.(client.Object)
			c, ok := newObj.(client.Object)
			if ok && okOld && c.GetGeneration() != old.GetGeneration() {
				queue.Add(client.ObjectKeyFromObject(c))
			}
		},
	})
	if err != nil {
		return fmt.Errorf("cannot watch DatabaseClusters: %w", err)
	}
	return nil
}

// watchChildren queues a child's cluster when the child is created or changes. A
// resync, which delivers an unchanged object again, queues nothing.
func watchChildren(ctx context.Context, informers cache.Cache, gvk schema.GroupVersionKind, queue workqueue.TypedInterface[types.NamespacedName]) error {
	informer, err := informers.GetInformer(ctx, object(gvk))
	if err != nil {
		return fmt.Errorf("cannot watch %s: %w", gvk.Kind, err)
	}
	enqueue := func(obj any) {
		if c, ok := obj.(client.Object); ok && c.GetLabels()[dbaasv1.ClusterLabel] != "" {
			queue.Add(types.NamespacedName{Namespace: c.GetNamespace(), Name: c.GetLabels()[dbaasv1.ClusterLabel]})
		}
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			old, okOld := oldObj.(client.Object)
			c, ok := newObj.(client.Object)
			if ok && okOld && c.GetResourceVersion() != old.GetResourceVersion() {
				enqueue(newObj)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("cannot watch %s: %w", gvk.Kind, err)
	}
	return nil
}

// object returns an empty unstructured object of a kind, for the cache.
func object(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}
