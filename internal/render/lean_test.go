package render

import (
	"context"
	"testing"

	"dbaas.io/operator/engines"
)

// TestLeanPackages: every shipped engine keeps its operations in a file of their
// own, so renders and status mappings evaluate a package without them, and its
// status mapping does not refer to its stages, so it is evaluated without them.
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
		whole, err := inst.wholePackage()
		if err != nil {
			t.Fatal(err)
		}
		lean, err := inst.renderPackage()
		if err != nil {
			t.Fatal(err)
		}
		status, err := inst.statusPackage()
		if err != nil {
			t.Fatal(err)
		}
		e.ev.instances.release(inst)
		if lean == whole {
			t.Errorf("engine %s renders with its operations: the lean package did not compile", e.Name)
		}
		if status == whole || status == lean {
			t.Errorf("engine %s maps its status with its stages: the status package did not compile", e.Name)
		}
	}
}
