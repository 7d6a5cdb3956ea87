package policy

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// TestGateJudgesTheEngineConfigMerge runs the ops gate on a Reconfiguring whose
// parameter name folds onto one the cluster sets (max_connections and
// max-connections are one MySQL option) with the spec patch of the engine's
// evaluation, as the operator passes it: the policy judges the config the engine's
// Reconfiguring writes, which keeps both, not a merge of its own.
func TestGateJudgesTheEngineConfigMerge(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	mysql, _ := reg.Get("mysql")
	set := embedded(t)
	gate := &Gate{Current: func() *Set { return set }, Namespaces: StaticNamespaces{}}
	cluster := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "jam", Namespace: "shop"},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine: "mysql", Version: "8.0",
			Storage: dbaasv1.Storage{Size: resource.MustParse("20Gi")},
			Config:  []dbaasv1.ConfigParameter{{Name: "max-connections", Value: "100"}},
		},
		Status: dbaasv1.DatabaseClusterStatus{Phase: dbaasv1.PhaseReady, Version: "8.0"},
	}
	reconfigure := func(name string) *dbaasv1.OpsRequest {
		return &dbaasv1.OpsRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "tune", Namespace: "shop"},
			Spec: dbaasv1.OpsRequestSpec{ClusterRef: "jam", Type: dbaasv1.OpsReconfiguring,
				Reconfiguring: &dbaasv1.Reconfiguring{Config: []dbaasv1.ConfigParameter{{Name: name, Value: "300"}}}},
		}
	}

	d, err := gate.Ops(context.Background(), reconfigure("max_connections"), cluster, mysql, engineSpecPatch(t, reg, reconfigure("max_connections"), cluster))
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, []Violation{{"spec.reconfiguring.config[max_connections]", "ParameterDuplicate", "max_connections repeats max-connections"}})

	// The same name replaces the parameter: nothing to refuse.
	d, err = gate.Ops(context.Background(), reconfigure("max-connections"), cluster, mysql, engineSpecPatch(t, reg, reconfigure("max-connections"), cluster))
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, nil)
}

// engineSpecPatch evaluates the operation with the engine, as the webhook and the
// controller do before they ask the gate, and returns its spec patch.
func engineSpecPatch(t *testing.T, reg *render.Registry, ops *dbaasv1.OpsRequest, cluster *dbaasv1.DatabaseCluster) map[string]any {
	t.Helper()
	p, err := (&provider.Factory{Registry: reg}).Get(cluster.Spec.Engine)
	if err != nil {
		t.Fatal(err)
	}
	op, err := p.Operations().Evaluate(cluster, ops, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return op.SpecPatch
}
