package policy

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
	"dbaas.io/operator/policies"
)

// copyPolicies writes the embedded policies to a temporary directory, as an override.
func copyPolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		return write(dir, p, string(body))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func write(dir, p, text string) error {
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, []byte(text), 0o644)
}

// metricValue reads a counter or gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

// denyAll is a cluster policy that refuses everything, to see a reload take effect.
const denyAll = "package dbaas.cluster\n\nviolation contains {\"field\": \"spec\", \"reason\": \"Frozen\", \"msg\": \"changes are frozen\"}\n"

func TestReloaderKeepsLastGoodOnError(t *testing.T) {
	dir := copyPolicies(t)
	var reported []error
	r, err := NewReloader(dir, logr.Discard(), func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	good := r.Current()
	if good.Digest() != embedded(t).Digest() {
		t.Errorf("a copy of the embedded policies has digest %s, want %s", good.Digest(), embedded(t).Digest())
	}
	errorsBefore := metricValue(t, reloadErrors)

	// Nothing changed: nothing happens.
	if swapped, err := r.Reload(); swapped || err != nil {
		t.Fatalf("Reload() = %v, %v on an unchanged directory", swapped, err)
	}

	// A syntax error is reported once, and the last good set keeps serving.
	if err := write(dir, "cluster/broken.rego", "package dbaas.cluster\n\nviolation contains x if {"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if swapped, err := r.Reload(); swapped || err == nil || !strings.Contains(err.Error(), "cluster/broken.rego:3") {
			t.Fatalf("Reload() = %v, %v; want the syntax error", swapped, err)
		}
	}
	if len(reported) != 1 {
		t.Errorf("onError called %d times, want once for one broken content", len(reported))
	}
	if got := metricValue(t, reloadErrors) - errorsBefore; got != 1 {
		t.Errorf("dbaas_policy_reload_errors_total grew by %v, want 1", got)
	}
	if got := metricValue(t, lastReloadSuccess); got != 0 {
		t.Errorf("dbaas_policy_last_reload_success = %v, want 0", got)
	}
	if r.Current() != good {
		t.Fatal("the set in service changed after a failed reload")
	}
	d, err := r.Current().EvalCluster(context.Background(), ClusterInput{Cluster: pgCluster(t), Engine: pgEngine})
	if err != nil || !d.Allowed() {
		t.Fatalf("last good set: %v, %v; want the sample allowed", d, err)
	}

	// A fix is picked up.
	if err := os.Remove(filepath.Join(dir, "cluster", "broken.rego")); err != nil {
		t.Fatal(err)
	}
	if err := write(dir, "cluster/freeze.rego", denyAll); err != nil {
		t.Fatal(err)
	}
	if swapped, err := r.Reload(); !swapped || err != nil {
		t.Fatalf("Reload() = %v, %v after the fix", swapped, err)
	}
	if got := metricValue(t, lastReloadSuccess); got != 1 {
		t.Errorf("dbaas_policy_last_reload_success = %v, want 1", got)
	}
	d, err = r.Current().EvalCluster(context.Background(), ClusterInput{Cluster: pgCluster(t), Engine: pgEngine})
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, []Violation{{"spec", "Frozen", "changes are frozen"}})
}

// TestNewReloaderWithABrokenDirectory: a directory that does not load at start
// serves its last good version when one is kept, and otherwise no policies: every
// decision is then a denial that says why, and the directory loads once fixed.
func TestNewReloaderWithABrokenDirectory(t *testing.T) {
	good := copyPolicies(t)
	store := &memoryStore{}
	if _, err := NewReloader(good, logr.Discard(), nil, WithLastGood(store)); err != nil {
		t.Fatal(err)
	}
	if len(store.files) == 0 {
		t.Fatal("the policies that loaded were not kept")
	}

	broken := copyPolicies(t)
	if err := write(broken, "ops/ops.rego", "package dbaas.ops\n\nviolation contains 1 if {"); err != nil {
		t.Fatal(err)
	}
	var reported []error
	r, err := NewReloader(broken, logr.Discard(), func(err error) { reported = append(reported, err) }, WithLastGood(store))
	if err != nil {
		t.Fatal(err)
	}
	if r.Current() == nil || r.Problem() != nil {
		t.Fatalf("the last good policies do not serve (problem %v)", r.Problem())
	}
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "ops/ops.rego") {
		t.Fatalf("reported %v, want the syntax error of ops/ops.rego", reported)
	}

	r, err = NewReloader(broken, logr.Discard(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Current() != nil || r.Problem() == nil || !strings.Contains(r.Problem().Error(), "ops/ops.rego") {
		t.Fatalf("without a last good version: current %v, problem %v; want none and the syntax error", r.Current(), r.Problem())
	}
	gate := &Gate{Current: r.Current, Problem: r.Problem, Namespaces: StaticNamespaces{}}
	d, err := gate.Cluster(context.Background(), &dbaasv1.DatabaseCluster{}, &render.Engine{Name: "postgresql"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed() || !d.OnlyReason(ReasonPoliciesUnavailable) || !strings.Contains(d.Message(), "ops/ops.rego") {
		t.Fatalf("decision %+v, want a denial naming the broken file", d)
	}

	fixed, err := os.ReadFile(filepath.Join(good, "ops", "ops.rego"))
	if err != nil {
		t.Fatal(err)
	}
	if err := write(broken, "ops/ops.rego", string(fixed)); err != nil {
		t.Fatal(err)
	}
	if swapped, err := r.Reload(); !swapped || err != nil || r.Current() == nil {
		t.Fatalf("the fixed directory did not load: swapped %v, %v", swapped, err)
	}
}

// memoryStore keeps sets of files in memory.
type memoryStore struct{ files map[string]map[string][]byte }

func (m *memoryStore) Load(_ context.Context, name string) (map[string][]byte, bool, error) {
	f, ok := m.files[name]
	return f, ok, nil
}

func (m *memoryStore) Save(_ context.Context, name string, files map[string][]byte) error {
	if m.files == nil {
		m.files = map[string]map[string][]byte{}
	}
	m.files[name] = files
	return nil
}

func TestReloaderStartPolls(t *testing.T) {
	dir := copyPolicies(t)
	r, err := NewReloader(dir, logr.Discard(), nil, WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if r.NeedLeaderElection() {
		t.Error("NeedLeaderElection() = true; every replica serves webhooks")
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- r.Start(ctx) }()
	before := r.Current().Digest()
	if err := write(dir, "cluster/freeze.rego", denyAll); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Current().Digest() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Errorf("Start() = %v", err)
	}
	if r.Current().Digest() == before {
		t.Error("the change was not picked up within 5s")
	}
}

// TestReadFilesFollowsConfigMapLayout: a mounted ConfigMap links each key through
// ..data into a timestamped folder; the hidden entries are skipped, the links followed.
func TestReadFilesFollowsConfigMapLayout(t *testing.T) {
	dir := t.TempDir()
	stamp := filepath.Join(dir, "..2026_01_01_00_00_00.000")
	if err := write(stamp, "engines/pg.yaml", "a: 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(stamp), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "engines"), filepath.Join(dir, "engines")); err != nil {
		t.Fatal(err)
	}
	files, err := readFiles(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].path != "engines/pg.yaml" {
		t.Errorf("files %v, want only engines/pg.yaml", files)
	}
}
