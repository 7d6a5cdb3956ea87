package engines_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/provider"
)

// TestOperationsGolden evaluates an operation of each ops-<case> folder: input.yaml
// (the DatabaseCluster with its status), ops.yaml (the OpsRequest), observed.yaml
// (children by key) and optional created.yaml and lookups.yaml (by name), and compares
// the evaluated operation with want-ops.yaml.
func TestOperationsGolden(t *testing.T) {
	dirs, err := filepath.Glob("*/testdata/ops-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no operation cases (%v)", err)
	}
	factory := &provider.Factory{Registry: registry(t)}
	for _, dir := range dirs {
		engine := strings.Split(dir, string(filepath.Separator))[0]
		t.Run(engine+"/"+filepath.Base(dir), func(t *testing.T) {
			cluster, _ := readCluster(t, dir)
			ops := &dbaasv1.OpsRequest{}
			readYAML(t, filepath.Join(dir, "ops.yaml"), ops, true)
			p, err := factory.Get(engine)
			if err != nil {
				t.Fatal(err)
			}
			observed := objectsByName(t, filepath.Join(dir, "observed.yaml"), true)
			created := objectsByName(t, filepath.Join(dir, "created.yaml"), false)
			lookups := map[string]*unstructured.Unstructured{}
			for _, u := range objectsByName(t, filepath.Join(dir, "lookups.yaml"), false) {
				lookups[u.GetAnnotations()["golden/name"]] = u
			}
			op, err := p.Operations().Evaluate(cluster, ops, observed, created, lookups)
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			compareYAML(t, filepath.Join(dir, "want-ops.yaml"), op)
		})
	}
}

// objectsByName reads a YAML map of name (or key) to object. With keyed, each
// object gets the key annotation the operator sets on children; otherwise the name
// is kept in a test-only annotation.
func objectsByName(t *testing.T, path string, keyed bool) []*unstructured.Unstructured {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	var m map[string]map[string]any
	readYAML(t, path, &m, false)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*unstructured.Unstructured
	for _, n := range names {
		u := &unstructured.Unstructured{Object: m[n]}
		a := u.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		if keyed {
			a[dbaasv1.KeyAnnotation] = n
		} else {
			a["golden/name"] = n
		}
		u.SetAnnotations(a)
		out = append(out, u)
	}
	return out
}

func readYAML(t *testing.T, path string, into any, strict bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strict {
		err = yaml.UnmarshalStrict(b, into)
	} else {
		err = yaml.Unmarshal(b, into)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
