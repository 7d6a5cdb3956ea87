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
		inst := e.instances.acquire()
		full := inst.lean == inst.value
		e.instances.release(inst)
		if full {
			t.Errorf("engine %s renders with its operations: the lean package did not compile", e.Name)
		}
	}
}
