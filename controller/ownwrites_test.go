package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
