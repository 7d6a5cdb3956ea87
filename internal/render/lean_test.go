package render

import (
	"testing"

	"dbaas.io/operator/engines"
)

// TestLeanPackages: every shipped engine keeps its operations in a file of their
// own, so renders and status mappings evaluate a package without them.
func TestLeanPackages(t *testing.T) {
	r, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Engines() {
		if e.lean == e.value {
			t.Errorf("engine %s renders with its operations: the lean package did not compile", e.Name)
		}
	}
}
