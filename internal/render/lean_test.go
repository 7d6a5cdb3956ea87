package render

import (
	"context"
	"testing"

	"cuelang.org/go/cue"

	"dbaas.io/operator/engines"
)

// TestLeanPackages: every shipped engine keeps its operations in a file of their
// own, so renders evaluate a package without them; its status mapping and its
// operations do not refer to its stages, so they are evaluated without them (and
// without each other).
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
		ops, err := inst.operationsPackage()
		if err != nil {
			t.Fatal(err)
		}
		e.ev.instances.release(inst)
		if lean == whole {
			t.Errorf("engine %s renders with its operations: the lean package did not compile", e.Name)
		}
		for name, pkg := range map[string]cue.Value{"status mapping": status, "operations": ops} {
			if pkg == whole || pkg == lean {
				t.Errorf("engine %s: the package of its %s did not compile", e.Name, name)
			}
			for _, f := range []string{"stages", "cli"} {
				if pkg.LookupPath(cue.ParsePath(f)).Exists() {
					t.Errorf("engine %s evaluates its %s with %s", e.Name, name, f)
				}
			}
		}
		if status.LookupPath(cue.ParsePath("operations")).Exists() {
			t.Errorf("engine %s maps its status with its operations", e.Name)
		}
	}
}
