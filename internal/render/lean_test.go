package render

import (
	"context"
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
		inst, err := e.ev.instances.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		full := inst.lean == inst.value
		e.ev.instances.release(inst)
		if full {
			t.Errorf("engine %s renders with its operations: the lean package did not compile", e.Name)
		}
	}
}
