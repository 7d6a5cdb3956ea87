package charts

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestChartAppliesToAPIServer applies every object the chart renders, with the
// default values and with every option on, to a real API server with server-side
// apply in dry-run: the API server's schema of each kind (ours, cert-manager's, the
// Prometheus Operator's, the built-in ones) and its validation accept them.
func TestChartAppliesToAPIServer(t *testing.T) {
	ctx := context.Background()
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tests := map[string]struct {
		// args are helm's values flags.
		args []string
		// min is the fewest objects the chart must render: a floor that a template
		// rendering nothing would break.
		min int
	}{
		"default values": {min: 17},
		"every option":   {args: []string{"-f", allValues}, min: 25},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs := render(t, tc.args...)
			if len(objs) < tc.min {
				t.Fatalf("the chart renders %d objects, fewer than %d", len(objs), tc.min)
			}
			for _, o := range objs {
				err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o),
					client.FieldOwner("chart-test"), client.ForceOwnership, client.DryRunAll)
				if err != nil {
					t.Errorf("%s %s/%s is refused: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
			}
		})
	}
}
