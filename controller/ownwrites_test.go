package controller

import (
	"errors"
	"strconv"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestOwnWrites: the events of the controller's own last write of an object are
// skipped, anyone else's write is not, and a deleted object is forgotten.
func TestOwnWrites(t *testing.T) {
	var w ownWrites
	p := w.predicate()
	obj := func(rv string) *dbaasv1.DatabaseCluster {
		return &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: rv}}
	}
	w.record(obj("5"))
	if p.Update(event.UpdateEvent{ObjectOld: obj("4"), ObjectNew: obj("5")}) {
		t.Error("the event of the controller's own write reconciles again")
	}
	if p.Create(event.CreateEvent{Object: obj("5")}) {
		t.Error("the create event of the controller's own write reconciles again")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("5"), ObjectNew: obj("6")}) {
		t.Error("someone else's write is not reconciled")
	}
	if !p.Delete(event.DeleteEvent{Object: obj("6")}) || w.len() != 0 {
		t.Errorf("a deleted object is not reconciled and forgotten (%d remembered)", w.len())
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("4"), ObjectNew: obj("5")}) {
		t.Error("after forgetting, an event is skipped")
	}
}

// TestOwnWritesUnderWay: the event of a guarded status write that arrives before
// the write's response is skipped; a change of spec or metadata on the same
// version, an event not following the guarded version, and any event once the
// write failed are reconciled.
func TestOwnWritesUnderWay(t *testing.T) {
	var w ownWrites
	p := w.predicate()
	obj := func(rv string, generation int64) *dbaasv1.DatabaseCluster {
		return &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: rv, Generation: generation}}
	}
	done := w.begin(obj("4", 1))
	if p.Update(event.UpdateEvent{ObjectOld: obj("4", 1), ObjectNew: obj("5", 1)}) {
		t.Error("the event of a status write under way reconciles again")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("4", 1), ObjectNew: obj("5", 2)}) {
		t.Error("a spec change on the guarded version is not reconciled")
	}
	labelled := obj("5", 1)
	labelled.Labels = map[string]string{"team": "a"}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("4", 1), ObjectNew: labelled}) {
		t.Error("a label change on the guarded version is not reconciled")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("3", 1), ObjectNew: obj("4", 1)}) {
		t.Error("an event before the guarded version is not reconciled")
	}
	done(obj("5", 1), nil)
	if p.Update(event.UpdateEvent{ObjectOld: obj("4", 1), ObjectNew: obj("5", 1)}) {
		t.Error("the event of the finished write reconciles again")
	}
	if !p.Update(event.UpdateEvent{ObjectOld: obj("5", 1), ObjectNew: obj("6", 1)}) {
		t.Error("a later write is not reconciled")
	}

	done = w.begin(obj("6", 1))
	done(nil, errors.New("conflict"))
	if !p.Update(event.UpdateEvent{ObjectOld: obj("6", 1), ObjectNew: obj("7", 1)}) {
		t.Error("after a failed write, the write that beat it is not reconciled")
	}
	if w.len() != 2 {
		t.Errorf("%d entries remembered, want 2 (the last write and the version it replaced)", w.len())
	}
}

// TestOwnWritesSuperseded: the version a successful guarded write replaced is known
// to be stale; the version it stored, and anything after a failed write, are not.
func TestOwnWritesSuperseded(t *testing.T) {
	var w ownWrites
	obj := func(rv string) *dbaasv1.DatabaseCluster {
		return &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: rv}}
	}
	if w.superseded(obj("4")) {
		t.Error("a version is superseded before any write")
	}
	done := w.begin(obj("4"))
	done(obj("5"), nil)
	if !w.superseded(obj("4")) {
		t.Error("the version the write replaced is not superseded")
	}
	if w.superseded(obj("5")) {
		t.Error("the version the write stored is superseded")
	}
	done = w.begin(obj("5"))
	done(nil, errors.New("conflict"))
	if w.superseded(obj("5")) {
		t.Error("a failed write supersedes the version it was guarded by")
	}
	// Writes in a row (an operation's plan, then its steps): each version in
	// between is superseded, up to the last few.
	for rv := 5; rv < 5+keptReplaced+1; rv++ {
		done = w.begin(obj(strconv.Itoa(rv)))
		done(obj(strconv.Itoa(rv+1)), nil)
	}
	for rv := 6; rv <= 5+keptReplaced; rv++ {
		if !w.superseded(obj(strconv.Itoa(rv))) {
			t.Errorf("version %d, replaced by one of the last writes, is not superseded", rv)
		}
	}
	if w.superseded(obj("4")) || w.superseded(obj("5")) {
		t.Errorf("more than the last %d replaced versions are remembered", keptReplaced)
	}
	w.forget(obj("5"))
	if w.superseded(obj("4")) || w.len() != 0 {
		t.Errorf("a deleted object is remembered (%d entries)", w.len())
	}
}

// TestOwnWritesCreateUnderWay: the create event of a child an apply under way
// creates is skipped, even before the apply's response says its UID; another
// child's, and one after the apply ended, are not.
func TestOwnWritesCreateUnderWay(t *testing.T) {
	var w ownWrites
	p := w.predicate()
	child := func(name, uid string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("v1")
		u.SetKind("Secret")
		u.SetNamespace("ns")
		u.SetName(name)
		u.SetUID(types.UID(uid))
		u.SetResourceVersion("7")
		return u
	}
	done := w.beginCreate(child("orders-connection", ""))
	if p.Create(event.CreateEvent{Object: child("orders-connection", "u1")}) {
		t.Error("the create event of a child being created reconciles")
	}
	if !p.Create(event.CreateEvent{Object: child("orders-other", "u2")}) {
		t.Error("another child's create event is skipped")
	}
	other := child("orders-connection", "u3")
	other.SetKind("ConfigMap")
	if !p.Create(event.CreateEvent{Object: other}) {
		t.Error("the create event of another kind under the same name is skipped")
	}
	done()
	if !p.Create(event.CreateEvent{Object: child("orders-connection", "u4")}) {
		t.Error("a create event after the apply ended is skipped")
	}
	if w.len() != 0 {
		t.Errorf("%d entries remembered after the apply ended, want 0", w.len())
	}
}
