package engines_test

import (
	"os"
	"path/filepath"
	"testing"

	"dbaas.io/operator/internal/childschema"
	"dbaas.io/operator/internal/provider"
)

// TestRenderedObjectsMatchChildSchemas proves that every object every golden case
// renders is accepted by its child operator's real CRD schema. This is the CI-time
// proof that keeps the reconcile path free of child schemas.
func TestRenderedObjectsMatchChildSchemas(t *testing.T) {
	checker, err := childschema.New("../schemas/gen")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	checked := 0
	for _, tc := range cases(t, false) {
		if _, err := os.Stat(filepath.Join(tc.dir, "want.err")); err == nil {
			continue
		}
		e, _ := reg.Get(tc.engine)
		cluster, in := readCluster(t, tc.dir)
		result, err := e.Render(in)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		for _, o := range result.Objects {
			// Checked as applied: in the cluster's namespace, labelled by the operator.
			if err := checker.Check(provider.Child(cluster, o.Key, o.Object, e.Ownerless(o.Key))); err != nil {
				t.Errorf("%s: object %q: %v", tc.dir, o.Key, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no rendered object was checked")
	}
	t.Logf("%d rendered objects match their child schemas", checked)
}
