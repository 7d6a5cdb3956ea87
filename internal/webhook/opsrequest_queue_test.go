package webhook

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// TestDryRunsAreNotAheadInTheQueue: an unfinished dry run holds no place in the
// cluster's queue, so a new operation is not admitted as waiting behind it; a real
// pending one is.
func TestDryRunsAreNotAheadInTheQueue(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&provider.Factory{Registry: reg}).Get("postgresql")
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := dbaasv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	op := func(name string, dryRun bool) *dbaasv1.OpsRequest {
		return &dbaasv1.OpsRequest{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec:       dbaasv1.OpsRequestSpec{ClusterRef: "orders", Type: dbaasv1.OpsRestart, DryRun: dryRun},
			Status:     dbaasv1.OpsRequestStatus{Phase: dbaasv1.OpsPending},
		}
	}
	newOp := op("orders-scale", false)

	v := &OpsRequestValidator{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(op("orders-plan", true)).Build()}
	ahead, err := v.queuedAhead(context.Background(), newOp, p)
	if err != nil {
		t.Fatal(err)
	}
	if ahead != nil {
		t.Fatalf("queued behind the dry run %s", ahead.Name)
	}

	v = &OpsRequestValidator{Client: fake.NewClientBuilder().WithScheme(scheme).WithObjects(op("orders-plan", true), op("orders-restart", false)).Build()}
	ahead, err = v.queuedAhead(context.Background(), newOp, p)
	if err != nil {
		t.Fatal(err)
	}
	if ahead == nil || ahead.Name != "orders-restart" {
		t.Fatalf("ahead: %v, want the pending real operation orders-restart", ahead)
	}
}
