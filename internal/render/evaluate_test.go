package render

import (
	"testing"

	"dbaas.io/operator/engines"
)

// TestReconcileEvaluations counts the evaluations of the calls one reconcile makes
// (requires, preconditions, render), after a webhook rendered the same cluster: the
// memo and the joint evaluation of the parts keep them to one per distinct input.
func TestReconcileEvaluations(t *testing.T) {
	reg, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := reg.Get("postgresql")
	withVersion := func(name string) Input {
		in := pgInput(name)
		in.Cluster["spec"].(map[string]any)["version"] = "16"
		return in
	}
	cases := []struct {
		name    string
		input   Input
		lookups map[string]map[string]any
		// requires is how many objects the engine names (default: the lookups').
		requires int
		webhook  bool
		fills    int64
	}{
		// The engine requires nothing: one evaluation answers all three calls.
		{name: "requires nothing", input: withVersion("a"), fills: 1},
		// The webhook's render is the requires' input; nothing is looked up.
		{name: "requires nothing, after the webhook", input: withVersion("b"), webhook: true, fills: 1},
		// Without a version the engine reads its own Cluster: the requires, then the
		// preconditions and the render of the input with the lookup.
		{name: "requires a lookup", input: pgInput("c"), lookups: map[string]map[string]any{
			"existingCluster": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": map[string]any{"name": "c"}}}, fills: 2},
		{name: "requires a lookup, after the webhook", input: pgInput("d"), webhook: true, lookups: map[string]map[string]any{
			"existingCluster": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": map[string]any{"name": "d"}}}, fills: 2},
		// A new cluster's own Cluster does not exist yet: the input with the lookups is
		// the one without them, and the webhook's evaluation answers everything.
		{name: "requires a lookup that finds nothing, after the webhook", input: pgInput("e"), requires: 1, webhook: true, fills: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := pg.shared.fills.Load()
			if tc.webhook {
				if _, err := pg.Render(tc.input); err != nil {
					t.Fatal(err)
				}
			}
			refs, err := pg.Requires(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if want := max(tc.requires, len(tc.lookups)); len(refs) != want {
				t.Fatalf("requires %v, want %d objects", refs, want)
			}
			in := tc.input
			in.Context.Lookups = tc.lookups
			if _, err := pg.Preconditions(in); err != nil {
				t.Fatal(err)
			}
			r, err := pg.Render(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Objects) == 0 {
				t.Fatal("rendered nothing")
			}
			if got := pg.shared.fills.Load() - before; got != tc.fills {
				t.Errorf("%d evaluations, want %d", got, tc.fills)
			}
		})
	}
}

func pgInput(name string) Input {
	return Input{Cluster: map[string]any{
		"apiVersion": "dbaas.io/v1alpha1",
		"kind":       "DatabaseCluster",
		"metadata":   map[string]any{"name": name, "namespace": "ns"},
		"spec":       map[string]any{"engine": "postgresql", "clusterSize": 1, "storage": map[string]any{"size": "1Gi"}},
	}}
}
