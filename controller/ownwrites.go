package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ownWrites remembers the resourceVersion of the controller's last write of each
// object, so that the watch event that write causes does not reconcile the cluster
// again: the reconcile that wrote already holds everything that event would bring.
// A write by anyone else carries another resourceVersion and is reconciled.
type ownWrites struct {
	mu       sync.Mutex
	versions map[types.UID]string
}

// record notes that the controller wrote obj, as the API server returned it.
func (w *ownWrites) record(obj client.Object) {
	if obj.GetUID() == "" || obj.GetResourceVersion() == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.versions == nil {
		w.versions = map[types.UID]string{}
	}
	w.versions[obj.GetUID()] = obj.GetResourceVersion()
}

// wrote reports whether obj is, version for version, the controller's last write.
func (w *ownWrites) wrote(obj client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.versions[obj.GetUID()]
	return ok && v == obj.GetResourceVersion()
}

// forget drops what is remembered of a deleted object.
func (w *ownWrites) forget(obj client.Object) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.versions, obj.GetUID())
}

// len is how many objects are remembered, for tests of the cleanup.
func (w *ownWrites) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.versions)
}

// predicate skips the create and update events of the controller's own writes and
// forgets deleted objects.
func (w *ownWrites) predicate() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !w.wrote(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return !w.wrote(e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.forget(e.Object)
			return true
		},
	}
}
