package main

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestExpectEnd checks that an awaited OpsRequest ends only in a final phase, once,
// and that a forgotten one is no longer awaited.
func TestExpectEnd(t *testing.T) {
	t.Parallel()
	tr := &tracker{ending: map[types.NamespacedName]chan struct{}{}, expected: map[types.NamespacedName]expectation{}}
	key := types.NamespacedName{Namespace: "fleet-0", Name: "c-1-scale-out"}
	request := func(phase dbaasv1.OpsPhase) *dbaasv1.OpsRequest {
		return &dbaasv1.OpsRequest{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}, Status: dbaasv1.OpsRequestStatus{Phase: phase}}
	}
	ended := tr.expectEnd(key)
	for _, phase := range []dbaasv1.OpsPhase{"", dbaasv1.OpsPending, dbaasv1.OpsRunning} {
		tr.requestChanged(request(phase))
		select {
		case <-ended:
			t.Fatalf("the request ended in phase %q", phase)
		default:
		}
	}
	tr.requestChanged(request(dbaasv1.OpsSucceeded))
	select {
	case <-ended:
	default:
		t.Fatal("the request did not end in phase Succeeded")
	}
	// A second final phase finds nothing awaited (closing twice would panic).
	tr.requestChanged(request(dbaasv1.OpsSucceeded))

	other := tr.expectEnd(key)
	tr.forget(key)
	tr.requestChanged(request(dbaasv1.OpsFailed))
	select {
	case <-other:
		t.Fatal("a forgotten request was still awaited")
	default:
	}
}
