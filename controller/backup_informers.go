package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// NewBackupCache builds an informer cache that holds only the objects selector
// picks (the operator's trims them as its other caches do).
type NewBackupCache func(selector labels.Selector) (cache.Cache, error)

// backupInformers runs one informer per kind of backup objects, created once the
// kind's CRD is installed, holding only the objects that carry the kind's cluster
// label. The child operators create scheduled backups without the operator's
// labels, so the manager's cache (which holds only those) cannot serve them. Each
// backup event reconciles the cluster the label names, so a finished backup shows
// in status at once; a reconcile reads the cluster's backups from the informer, not
// from the API server.
//
// It is a runnable of the manager, added before the manager starts, and runs the
// informers itself under its own context. They are not added to the running
// manager: controller-runtime's runnable group holds a lock while it hands a new
// runnable over, and its stop waits for that lock, so a runnable added as the
// manager stops can leave the manager waiting forever.
type backupInformers struct {
	newCache   NewBackupCache
	mapper     meta.RESTMapper
	controller controller.Controller
	log        logr.Logger

	watching sync.Mutex

	mu     sync.Mutex
	caches map[schema.GroupVersionKind]cache.Cache
	// ctx is Start's: the informers run under it. Those created before Start wait
	// in pending; none is created once stopped.
	ctx     context.Context
	pending []cache.Cache
	stopped bool
	running sync.WaitGroup
}

// Start runs the informers until ctx is done, then waits for them to stop.
func (b *backupInformers) Start(ctx context.Context) error {
	b.mu.Lock()
	b.ctx = ctx
	for _, c := range b.pending {
		b.run(c)
	}
	b.pending = nil
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.running.Wait()
	return nil
}

// run starts c under Start's context; b.mu is held.
func (b *backupInformers) run(c cache.Cache) {
	ctx := b.ctx
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		if err := c.Start(ctx); err != nil {
			b.log.Error(err, "a backup informer stopped")
		}
	}()
}

// watch starts the informer of kind when its CRD is installed; it reports whether
// the kind is watched. One watch runs at a time (watching), and b.mu is not held
// across the controller's Watch, which waits while the controller starts: the
// controller waits in turn for the informers Start runs.
func (b *backupInformers) watch(kind BackupKind) (bool, error) {
	b.watching.Lock()
	defer b.watching.Unlock()
	b.mu.Lock()
	watched, stopped := b.caches[kind.GVK] != nil, b.stopped
	b.mu.Unlock()
	if watched {
		return true, nil
	}
	if stopped {
		return false, nil
	}
	if _, err := b.mapper.RESTMapping(kind.GVK.GroupKind(), kind.GVK.Version); err != nil {
		if !meta.IsNoMatchError(err) {
			return false, fmt.Errorf("cannot look up kind %s: %w", kind.GVK, err)
		}
		b.log.Info("not watching a backup kind: its CRD is not installed", "kind", kind.GVK.String())
		return false, nil
	}
	labelled, err := labels.NewRequirement(kind.Label, selection.Exists, nil)
	if err != nil {
		return false, fmt.Errorf("backup kind %s: label %q: %w", kind.GVK, kind.Label, err)
	}
	c, err := b.newCache(labels.NewSelector().Add(*labelled))
	if err != nil {
		return false, fmt.Errorf("cannot create the cache of %s: %w", kind.GVK, err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kind.GVK)
	if err := b.controller.Watch(source.Kind[client.Object](c, u, handler.EnqueueRequestsFromMapFunc(clusterOfBackup(kind.Label)))); err != nil {
		return false, fmt.Errorf("cannot watch %s: %w", kind.GVK, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stopped:
		return false, nil
	case b.ctx == nil:
		b.pending = append(b.pending, c)
	default:
		b.run(c)
	}
	if b.caches == nil {
		b.caches = map[schema.GroupVersionKind]cache.Cache{}
	}
	b.caches[kind.GVK] = c
	b.log.Info("watching a backup kind", "kind", kind.GVK.String(), "label", kind.Label)
	return true, nil
}

// Backups lists the cluster's backups from the kind's informer, once it has synced
// (a reconcile may run while an informer created a moment ago starts); a kind not
// watched yet is not served.
func (b *backupInformers) Backups(ctx context.Context, kind BackupKind, namespace, cluster string) ([]unstructured.Unstructured, bool, error) {
	b.mu.Lock()
	c := b.caches[kind.GVK]
	b.mu.Unlock()
	if c == nil {
		return nil, false, nil
	}
	syncCtx, cancel := context.WithTimeout(ctx, backupSyncWait)
	defer cancel()
	if !c.WaitForCacheSync(syncCtx) {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("the informer of %s has not synced within %s", kind.GVK, backupSyncWait)
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(kind.GVK.GroupVersion().WithKind(kind.GVK.Kind + "List"))
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{kind.Label: cluster}); err != nil {
		return nil, false, err
	}
	return list.Items, true, nil
}

// backupSyncWait bounds how long a reconcile waits for a backup informer to sync
// before it fails and is retried with backoff.
const backupSyncWait = 10 * time.Second

// clusterOfBackup maps a backup to the DatabaseCluster its child operator's label
// names (the child is named after the DatabaseCluster).
func clusterOfBackup(label string) handler.MapFunc {
	return func(_ context.Context, o client.Object) []reconcile.Request {
		name := o.GetLabels()[label]
		if name == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
	}
}
