package controller

import (
	"maps"
	"slices"
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
//
// The event of a write can arrive before the write's response, so before it is
// recorded. A write guarded by the resourceVersion it read (the status write) is
// therefore noted while under way: the update event that follows that version and
// changes nothing but status is its own. Were the write refused, because someone
// else wrote that version's successor, the reconcile that tried it fails and runs
// again, so no one else's write goes unseen.
type ownWrites struct {
	mu       sync.Mutex
	versions map[types.UID]string
	// underWay holds, for each guarded write in flight, the resourceVersion it
	// is guarded by.
	underWay map[types.UID]string
	// replaced holds, for each object, the resourceVersions the last guarded writes
	// that succeeded replaced, at most keptReplaced of them: a cache that still
	// shows one lags (superseded). An operation's reconcile writes its status
	// several times (the plan, each step), and a reconcile queued meanwhile may read
	// any of the versions in between.
	replaced map[types.UID][]string
	// creating holds the children an apply under way may create, by createKey:
	// the create event can arrive before the apply's response, and the object has
	// no UID to remember before it.
	creating map[string]int
}

// keptReplaced bounds the versions remembered per object in replaced: a cache lags
// by a write or two, not by more.
const keptReplaced = 4

// begin notes that a write of obj guarded by its resourceVersion is under way;
// the returned func ends it, recording what the API server stored when it
// succeeded.
func (w *ownWrites) begin(obj client.Object) (done func(stored client.Object, err error)) {
	uid, base := obj.GetUID(), obj.GetResourceVersion()
	w.mu.Lock()
	if w.underWay == nil {
		w.underWay = map[types.UID]string{}
	}
	w.underWay[uid] = base
	w.mu.Unlock()
	return func(stored client.Object, err error) {
		w.mu.Lock()
		if w.underWay[uid] == base {
			delete(w.underWay, uid)
		}
		if err == nil {
			if w.replaced == nil {
				w.replaced = map[types.UID][]string{}
			}
			kept := append(w.replaced[uid], base)
			w.replaced[uid] = kept[max(0, len(kept)-keptReplaced):]
		}
		w.mu.Unlock()
		if err == nil {
			w.record(stored)
		}
	}
}

// beginCreate notes that an apply that may create obj (nothing was observed under
// its name) is under way, until the returned func is called. The create event of
// that name meanwhile is the apply's own: had someone else created the object
// first, the apply updated theirs, and the reconcile making it goes on from what
// the API server returned. Were the apply to fail, the reconcile runs again.
func (w *ownWrites) beginCreate(obj client.Object) (done func()) {
	key := createKey(obj)
	w.mu.Lock()
	if w.creating == nil {
		w.creating = map[string]int{}
	}
	w.creating[key]++
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.creating[key]--; w.creating[key] <= 0 {
			delete(w.creating, key)
		}
	}
}

// wroteCreate reports whether a create event is the controller's own: its
// recorded write, or the create of an apply under way.
func (w *ownWrites) wroteCreate(obj client.Object) bool {
	if w.wrote(obj) {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.creating[createKey(obj)] > 0
}

// createKey names an object by group, kind, namespace and name: the kind an event's
// object carries (children are watched as unstructured objects, which have it).
func createKey(obj client.Object) string {
	gvk := obj.GetObjectKind().GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// superseded reports whether obj is a version one of the controller's last guarded
// writes replaced: the cache it came from has not seen that write yet, and a write
// guarded by this copy would be refused.
func (w *ownWrites) superseded(obj client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Contains(w.replaced[obj.GetUID()], obj.GetResourceVersion())
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

// wroteUpdate reports whether an update is the controller's own: its last recorded
// write, or the one a guarded write under way makes, which follows the version the
// write is guarded by and changes nothing outside status and the fields the API
// server keeps.
func (w *ownWrites) wroteUpdate(old, updated client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	uid := updated.GetUID()
	if v, ok := w.versions[uid]; ok && v == updated.GetResourceVersion() {
		return true
	}
	base, ok := w.underWay[uid]
	return ok && base == old.GetResourceVersion() && sameOutsideStatus(old, updated)
}

// sameOutsideStatus reports whether two versions of an object differ at most in
// their status (and resourceVersion and managedFields): their generation, which
// counts spec changes, and the metadata a user may change are equal.
func sameOutsideStatus(a, b client.Object) bool {
	return a.GetGeneration() == b.GetGeneration() &&
		a.GetDeletionTimestamp().Equal(b.GetDeletionTimestamp()) &&
		maps.Equal(a.GetLabels(), b.GetLabels()) &&
		maps.Equal(a.GetAnnotations(), b.GetAnnotations()) &&
		slices.Equal(a.GetFinalizers(), b.GetFinalizers())
}

// forget drops what is remembered of a deleted object.
func (w *ownWrites) forget(obj client.Object) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.versions, obj.GetUID())
	delete(w.underWay, obj.GetUID())
	delete(w.replaced, obj.GetUID())
}

// len is how many objects are remembered, for tests of the cleanup.
func (w *ownWrites) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.versions) + len(w.underWay) + len(w.replaced) + len(w.creating)
}

// predicate skips the create and update events of the controller's own writes,
// also those of a guarded write or a create under way, and forgets deleted objects.
func (w *ownWrites) predicate() predicate.Funcs {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !w.wroteCreate(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return !w.wroteUpdate(e.ObjectOld, e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.forget(e.Object)
			return true
		},
	}
}

// liveOr is live, the reader of the API server a superseded copy is read again
// from, or c when there is none (tests that read everything live).
func liveOr(live, c client.Reader) client.Reader {
	if live != nil {
		return live
	}
	return c
}

// forgetting passes every event and forgets deleted objects: for a controller that
// uses ownWrites only to read past a lagging cache (superseded).
func (w *ownWrites) forgetting() predicate.Funcs {
	return predicate.Funcs{DeleteFunc: func(e event.DeleteEvent) bool {
		w.forget(e.Object)
		return true
	}}
}
