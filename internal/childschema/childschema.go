// Package childschema checks rendered objects against CUE generated from the child
// operators' real CRDs (`make schemas` writes them to schemas/gen/<group>/<version>).
// It is used by tests and `dbaasctl vet`, never on the reconcile path: unifying the
// full child schema costs several times a render.
package childschema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Checker validates objects against the generated child schemas in one folder.
type Checker struct {
	dir string

	mu   sync.Mutex
	ctx  *cue.Context
	defs map[schema.GroupVersionKind]cue.Value
}

// New returns a Checker over dir (usually schemas/gen).
func New(dir string) (*Checker, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("child schemas are missing (%w): run `make schemas`", err)
	}
	return &Checker{dir: dir, ctx: cuecontext.New(), defs: map[schema.GroupVersionKind]cue.Value{}}, nil
}

// Check returns an error naming every field of u that its child schema refuses.
// Core kinds (a ConfigMap) have no CRD and are not checked here: the API server's
// own validation checks them in the end-to-end tests.
func (c *Checker) Check(u *unstructured.Unstructured) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	gvk := u.GroupVersionKind()
	if gvk.Group == "" {
		return nil
	}
	def, err := c.definition(gvk)
	if err != nil {
		return err
	}
	b, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	if err := def.Unify(c.ctx.CompileBytes(b)).Validate(cue.Concrete(true)); err != nil {
		return fmt.Errorf("%s %s is refused by the %s schema: %w", gvk.Kind, u.GetName(), gvk.GroupVersion(), err)
	}
	return nil
}

// definition loads #<Kind> from <dir>/<group>/<version>, once.
func (c *Checker) definition(gvk schema.GroupVersionKind) (cue.Value, error) {
	if def, ok := c.defs[gvk]; ok {
		return def, nil
	}
	dir := filepath.Join(c.dir, gvk.Group, gvk.Version)
	files, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil || len(files) == 0 {
		return cue.Value{}, fmt.Errorf("no schema for %s in %s: run `make schemas`", gvk, dir)
	}
	insts := load.Instances(files, &load.Config{Dir: "."})
	v := c.ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("cannot load %s: %w", dir, err)
	}
	def := v.LookupPath(cue.ParsePath("#" + gvk.Kind))
	if !def.Exists() {
		return cue.Value{}, fmt.Errorf("%s has no #%s", dir, gvk.Kind)
	}
	c.defs[gvk] = def
	return def, nil
}
