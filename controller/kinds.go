package controller

import (
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// kindWatcher adds watches of child kinds to a controller, each once, as their
// CRDs get installed: a child operator installed after the operator started is
// picked up without a restart.
type kindWatcher struct {
	controller controller.Controller
	cache      cache.Cache
	mapper     meta.RESTMapper
	handler    handler.EventHandler
	predicate  predicate.Predicate
	log        logr.Logger

	mu      sync.Mutex
	watched map[schema.GroupVersionKind]bool
}

// watch starts watching gvk when its CRD is installed; a kind without one is logged
// and skipped.
func (w *kindWatcher) watch(gvk schema.GroupVersionKind) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watched[gvk] {
		return nil
	}
	if _, err := w.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
		if !meta.IsNoMatchError(err) {
			return fmt.Errorf("cannot look up kind %s: %w", gvk, err)
		}
		w.log.Info("not watching a child kind: its CRD is not installed", "kind", gvk.String())
		return nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := w.controller.Watch(source.Kind[client.Object](w.cache, u, w.handler, w.predicate)); err != nil {
		return fmt.Errorf("cannot watch %s: %w", gvk, err)
	}
	if w.watched == nil {
		w.watched = map[schema.GroupVersionKind]bool{}
	}
	w.watched[gvk] = true
	w.log.Info("watching a child kind", "kind", gvk.String())
	return nil
}

// watchAll watches every kind it can and returns those whose CRD is still missing.
func (w *kindWatcher) watchAll(kinds []schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
	var missing []schema.GroupVersionKind
	for _, gvk := range kinds {
		if err := w.watch(gvk); err != nil {
			return nil, err
		}
		w.mu.Lock()
		if !w.watched[gvk] {
			missing = append(missing, gvk)
		}
		w.mu.Unlock()
	}
	return missing, nil
}

// backoff is the rate limiter of both controllers: a failed reconcile (a transient
// API error) is retried after 200ms, doubling up to 30 s. A reconcile makes several
// calls, so a run of failures is not rare when the API server struggles; a longer
// cap would leave the unlucky objects waiting minutes after it recovered, for a
// saving of a request a minute per object that keeps failing.
func backoff() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](200*time.Millisecond, 30*time.Second)
}
