package render_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// cluster is a minimal DatabaseCluster input of an engine.
func cluster(engine, name string, size int) render.Input {
	return render.Input{Cluster: map[string]any{
		"apiVersion": "dbaas.io/v1alpha1",
		"kind":       "DatabaseCluster",
		"metadata":   map[string]any{"name": name, "namespace": "ns"},
		"spec":       map[string]any{"engine": engine, "clusterSize": size, "storage": map[string]any{"size": "1Gi"}},
	}}
}

// TestParallelRenders renders and maps status for every engine from many goroutines
// at once; run with -race it proves the engines are safe under parallel reconciles.
func TestParallelRenders(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, e := range reg.Engines() {
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("c%d", i%3) // some inputs repeat: memo hits race with misses
				r, err := e.Render(cluster(e.Name, name, 3))
				if err != nil {
					errs <- fmt.Errorf("%s: %w", e.Name, err)
					return
				}
				if len(r.Objects) == 0 || r.Resolved.Version != e.DefaultVersion {
					errs <- fmt.Errorf("%s: %d objects, version %q", e.Name, len(r.Objects), r.Resolved.Version)
				}
				if _, err := e.Status(cluster(e.Name, name, 3), nil, nil); err != nil {
					errs <- fmt.Errorf("%s status: %w", e.Name, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRegistryCachesByDigest: the same content is compiled once, whatever folder it
// comes from.
func TestRegistryCachesByDigest(t *testing.T) {
	a, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := a.Get("postgresql")
	if len(pg.Digest) != 64 {
		t.Fatalf("digest %q", pg.Digest)
	}
	dir := t.TempDir()
	copyEngine(t, "postgresql", filepath.Join(dir, "postgresql"))
	b, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := b.Get("postgresql")
	if same.Digest != pg.Digest {
		t.Fatal("an identical override has another digest")
	}
}

// TestOverrideReload: an override replaces an engine; a broken change to it is
// reported and the last good version keeps serving.
func TestOverrideReload(t *testing.T) {
	dir := t.TempDir()
	copyEngine(t, "postgresql", filepath.Join(dir, "postgresql"))
	catalog := filepath.Join(dir, "postgresql", "catalog.cue")
	b, _ := os.ReadFile(catalog)
	if err := os.WriteFile(catalog, []byte(strings.Replace(string(b), `"17": {image:`, `"18": {image: "example.com/pg:18.0", default: true}
	"17": {image:`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// "18" is default now: drop the old default mark.
	b, _ = os.ReadFile(catalog)
	if err := os.WriteFile(catalog, []byte(strings.Replace(string(b), `"ghcr.io/cloudnative-pg/postgresql:17.6", default: true`, `"ghcr.io/cloudnative-pg/postgresql:17.6"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatalf("override: %v", err)
	}
	pg, _ := reg.Get("postgresql")
	if pg.DefaultVersion != "18" || pg.Source != dir {
		t.Fatalf("the override is not serving: default %s from %s", pg.DefaultVersion, pg.Source)
	}

	if err := os.WriteFile(filepath.Join(dir, "postgresql", "broken.cue"), []byte("package postgresql\n\nname: \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = reg.Reload()
	if err == nil || !strings.Contains(err.Error(), "broken.cue") {
		t.Fatalf("a broken override is not reported with its file: %v", err)
	}
	if still, _ := reg.Get("postgresql"); still != pg {
		t.Fatal("the last good version of the engine is not serving")
	}
}

// TestStageErrors: a failure names the stage and the CUE position.
func TestStageErrors(t *testing.T) {
	dir := t.TempDir()
	copyEngine(t, "postgresql", filepath.Join(dir, "postgresql"))
	conflict := "package postgresql\n\nstages: monitoring: objects: cluster: spec: imageName: \"other\"\n"
	if err := os.WriteFile(filepath.Join(dir, "postgresql", "conflict.cue"), []byte(conflict), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := reg.Get("postgresql")
	_, err = pg.Render(cluster("postgresql", "x", 1))
	var stageErr *render.StageError
	if !asStageError(err, &stageErr) || stageErr.Stage != render.StageMonitoring {
		t.Fatalf("error %v does not name stage monitoring", err)
	}
	for _, want := range []string{"conflicting values", "conflict.cue:3", "cluster.cue"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func asStageError(err error, target **render.StageError) bool {
	se, ok := err.(*render.StageError)
	if ok {
		*target = se
	}
	return ok
}

func copyEngine(t *testing.T, name, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(engines.FS(), name+"/*.cue")
	for _, f := range files {
		b, _ := fs.ReadFile(engines.FS(), f)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
