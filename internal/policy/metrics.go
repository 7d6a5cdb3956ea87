package policy

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	// reloadErrors counts failed loads of the policies directory.
	reloadErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dbaas_policy_reload_errors_total",
		Help: "Loads of the policies directory that failed; the last good policies kept serving.",
	})
	// lastReloadSuccess is 1 when the last load of the policies directory succeeded.
	lastReloadSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dbaas_policy_last_reload_success",
		Help: "1 when the last load of the policies directory succeeded, 0 when it failed.",
	})
	// evalDuration times the gate evaluations that ran.
	evalDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dbaas_policy_evaluation_duration_seconds",
		Help: "Policy gate evaluations that ran (decision cache hits excluded), by gate kind (cluster, ops) and decision (allow, deny, error).",
		// From a few rules on a small input (sub-millisecond) to the evaluation deadline.
		Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
	}, []string{"kind", "decision"})
)

// Gate kinds, the kind label of the evaluation metric.
const (
	kindCluster = "cluster"
	kindOps     = "ops"
)

func init() {
	metrics.Registry.MustRegister(reloadErrors, lastReloadSuccess, evalDuration)
}

// observeEvaluation records how long an evaluation of a gate kind took, and what it
// decided.
func observeEvaluation(kind string, d Decision, err error, took time.Duration) {
	decision := "allow"
	switch {
	case err != nil:
		decision = "error"
	case !d.Allowed():
		decision = "deny"
	}
	evalDuration.WithLabelValues(kind, decision).Observe(took.Seconds())
}
