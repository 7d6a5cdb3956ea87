package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// timedEvaluations returns how many evaluations of kind with decision were timed.
func timedEvaluations(t *testing.T, kind, decision string) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := evalDuration.WithLabelValues(kind, decision).(prometheus.Metric).Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// TestEvaluationsTimed: each cluster gate evaluation that runs is timed under its
// decision; one the decision cache answers is not.
func TestEvaluationsTimed(t *testing.T) {
	s := embedded(t)
	allow, deny := timedEvaluations(t, kindCluster, "allow"), timedEvaluations(t, kindCluster, "deny")
	// A namespace of its own: no other test filled the decision cache for it.
	ns := Namespace{Name: "timed"}
	for _, opts := range [][]option{nil, {set(11, "spec", "clusterSize")}, nil} {
		if _, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: pgCluster(t, opts...), Engine: pgEngine, Namespace: ns}); err != nil {
			t.Fatal(err)
		}
	}
	if got := timedEvaluations(t, kindCluster, "allow"); got != allow+1 {
		t.Errorf("%d allowed evaluations timed, want 1", got-allow)
	}
	if got := timedEvaluations(t, kindCluster, "deny"); got != deny+1 {
		t.Errorf("%d denied evaluations timed, want 1", got-deny)
	}
	errs := timedEvaluations(t, kindOps, "error")
	observeEvaluation(kindOps, Decision{}, errors.New("deadline"), 0)
	if got := timedEvaluations(t, kindOps, "error"); got != errs+1 {
		t.Errorf("a failed evaluation was not timed as an error")
	}
}
