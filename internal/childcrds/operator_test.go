package childcrds

import (
	"context"
	"io/fs"
	"path"
	"testing"

	"sigs.k8s.io/yaml"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestOperatorIsThePinnedRelease checks that each engine names, as its child
// operator's version (what README's install commands install, what the webhook and
// `dbaasctl doctor` name), the release of the module go.mod pins for its CRDs: the
// CRDs the tests run against are those of the release users are told to install.
func TestOperatorIsThePinnedRelease(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(engines.ChildCRDs, "*/crds.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no engines/*/crds.yaml (%v)", err)
	}
	for _, f := range files {
		name := path.Dir(f)
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(engines.ChildCRDs, f)
			if err != nil {
				t.Fatal(err)
			}
			var src Source
			if err := yaml.Unmarshal(data, &src); err != nil {
				t.Fatal(err)
			}
			_, version, err := listModule(context.Background(), root, src.Module)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := registry.Get(name)
			if !ok {
				t.Fatalf("no engine %s", name)
			}
			if e.Operator == nil {
				t.Fatalf("engine %s names no child operator", name)
			}
			if "v"+e.Operator.Version != version {
				t.Errorf("engine %s: operator %s %s, but go.mod pins %s %s", name, e.Operator.Name, e.Operator.Version, src.Module, version)
			}
		})
	}
}
