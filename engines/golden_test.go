package engines_test

import (
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// update rewrites want files from the current output. Review every rewritten file:
// a golden file is a claim about what the engine must render.
var update = flag.Bool("update", false, "rewrite golden files (review the diff before committing)")

// registry loads the embedded engines once for every test in the package.
func registry(t testing.TB) *render.Registry {
	t.Helper()
	r, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatalf("cannot load the embedded engines: %v", err)
	}
	return r
}

// goldenCase is one folder under engines/<engine>/testdata.
type goldenCase struct {
	engine string
	name   string
	dir    string
}

// cases lists the golden render cases of every engine, or with status the status
// cases (folders named status-*). Operation cases (ops-*) have their own test.
func cases(t *testing.T, status bool) []goldenCase {
	t.Helper()
	var out []goldenCase
	dirs, err := filepath.Glob("*/testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		parts := strings.Split(dir, string(filepath.Separator))
		if strings.HasPrefix(parts[2], "ops-") {
			continue
		}
		if strings.HasPrefix(parts[2], "status-") == status {
			out = append(out, goldenCase{engine: parts[0], name: parts[2], dir: dir})
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden cases found")
	}
	return out
}

// readCluster reads a case's input.yaml as the API would decode it.
func readCluster(t testing.TB, dir string) (*dbaasv1.DatabaseCluster, render.Input) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := &dbaasv1.DatabaseCluster{}
	if err := yaml.UnmarshalStrict(b, c); err != nil {
		t.Fatalf("%s/input.yaml: %v", dir, err)
	}
	in, err := provider.ClusterInput(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, render.Input{Cluster: in}
}

// renderInput is the engine input of a render case as the operator fills it: the
// cluster with the version it runs (input.yaml's status.version, as on an update), and
// the objects the engine requires from lookups.yaml (by key), when the case has them.
func renderInput(t *testing.T, dir string) render.Input {
	t.Helper()
	c, in := readCluster(t, dir)
	if c.Status.Version != "" {
		in.Cluster["status"] = map[string]any{"version": c.Status.Version}
	}
	if _, err := os.Stat(filepath.Join(dir, "lookups.yaml")); err == nil {
		in.Context.Lookups = map[string]map[string]any{}
		readYAML(t, filepath.Join(dir, "lookups.yaml"), &in.Context.Lookups, false)
	}
	return in
}

// TestRenderGolden renders every case and compares the objects, by key, with
// want.yaml, or the error with want.err.
func TestRenderGolden(t *testing.T) {
	reg := registry(t)
	for _, tc := range cases(t, false) {
		t.Run(tc.engine+"/"+tc.name, func(t *testing.T) {
			e, ok := reg.Get(tc.engine)
			if !ok {
				t.Fatalf("engine %s not loaded", tc.engine)
			}
			result, err := e.Render(renderInput(t, tc.dir))
			wantErr, hasWantErr := readOptional(t, filepath.Join(tc.dir, "want.err"))
			if hasWantErr || (*update && err != nil) {
				if err == nil {
					t.Fatalf("render succeeded, want an error containing %q", wantErr)
				}
				if *update {
					writeFile(t, filepath.Join(tc.dir, "want.err"), []byte(err.Error()+"\n"))
					return
				}
				for _, line := range strings.Split(strings.TrimSpace(wantErr), "\n") {
					if !strings.Contains(err.Error(), line) {
						t.Fatalf("error\n%v\ndoes not contain\n%s", err, line)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			got := map[string]any{}
			for _, o := range result.Objects {
				got[o.Key] = o.Object.Object
			}
			compareYAML(t, filepath.Join(tc.dir, "want.yaml"), got)
		})
	}
}

// TestStatusGolden maps observed children (and backups, where the case has them)
// onto a status and compares it with want-status.yaml.
func TestStatusGolden(t *testing.T) {
	reg := registry(t)
	for _, tc := range cases(t, true) {
		t.Run(tc.engine+"/"+tc.name, func(t *testing.T) {
			e, _ := reg.Get(tc.engine)
			_, in := readCluster(t, tc.dir)
			b, err := os.ReadFile(filepath.Join(tc.dir, "observed.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			observed := map[string]map[string]any{}
			if err := yaml.Unmarshal(b, &observed); err != nil {
				t.Fatalf("observed.yaml: %v", err)
			}
			// backups.yaml (optional) lists the cluster's backup objects, newest first,
			// as the operator fills them in.
			var backups []map[string]any
			if b, err := os.ReadFile(filepath.Join(tc.dir, "backups.yaml")); err == nil {
				if err := yaml.Unmarshal(b, &backups); err != nil {
					t.Fatalf("backups.yaml: %v", err)
				}
			} else if !os.IsNotExist(err) {
				t.Fatal(err)
			}
			got, err := e.Status(in, observed, backups)
			if err != nil {
				t.Fatalf("status: %v", err)
			}
			compareYAML(t, filepath.Join(tc.dir, "want-status.yaml"), got)
		})
	}
}

// compareYAML compares got with the YAML in path after a JSON round trip, so that
// numbers and maps compare by value.
func compareYAML(t *testing.T, path string, got any) {
	t.Helper()
	gotJSON, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		out, err := yaml.JSONToYAML(gotJSON)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, out)
		return
	}
	wantYAML, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it, then review it)", err)
	}
	var want, have any
	wantJSON, err := yaml.YAMLToJSON(wantYAML)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	_ = json.Unmarshal(wantJSON, &want)
	_ = json.Unmarshal(gotJSON, &have)
	if !reflect.DeepEqual(want, have) {
		gotYAML, _ := yaml.JSONToYAML(gotJSON)
		t.Fatalf("%s differs.\n--- want\n%s\n--- got\n%s", path, wantYAML, gotYAML)
	}
}

func readOptional(t *testing.T, path string) (string, bool) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func writeFile(t *testing.T, path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
