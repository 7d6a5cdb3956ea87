package render

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"dbaas.io/operator/engines"
)

// evaluations returns how many evaluations of engine and stage were timed.
func evaluations(t *testing.T, engine, stage string) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := evalDuration.WithLabelValues(engine, stage).(prometheus.Metric).Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// TestEvaluationsTimed: a render, a status mapping and an operation that run are
// timed once each, under their stage; the same input again is recalled from the
// memo and not timed.
func TestEvaluationsTimed(t *testing.T) {
	reg, err := NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := reg.Get("postgresql")
	if !ok {
		t.Fatal("no postgresql engine")
	}
	in := Input{Cluster: map[string]any{
		"apiVersion": "dbaas.io/v1alpha1",
		"kind":       "DatabaseCluster",
		"metadata":   map[string]any{"name": "timed", "namespace": "ns"},
		"spec":       map[string]any{"engine": "postgresql", "clusterSize": 1, "storage": map[string]any{"size": "1Gi"}},
	}}
	renders, statuses := evaluations(t, "postgresql", stageRender), evaluations(t, "postgresql", stageStatus)
	operations := evaluations(t, "postgresql", stageOperation)
	request := map[string]any{"metadata": map[string]any{"name": "restart"}, "spec": map[string]any{"type": "Restart"}}
	for range 2 {
		if _, err := e.Render(in); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Status(in, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Operation(in, OpsInput{Request: request}, "Restart"); err != nil {
			t.Fatal(err)
		}
	}
	if got := evaluations(t, "postgresql", stageRender); got != renders+1 {
		t.Errorf("%d renders timed, want 1", got-renders)
	}
	if got := evaluations(t, "postgresql", stageStatus); got != statuses+1 {
		t.Errorf("%d status mappings timed, want 1", got-statuses)
	}
	if got := evaluations(t, "postgresql", stageOperation); got != operations+1 {
		t.Errorf("%d operations timed, want 1", got-operations)
	}
}
