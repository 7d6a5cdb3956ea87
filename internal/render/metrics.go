package render

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metric stages: what an evaluation computed.
const (
	// stageRender is an evaluation of the engine's stages (with its requires and
	// preconditions when they are evaluated together).
	stageRender = "render"
	// stageStatus is an evaluation of the engine's status mapping.
	stageStatus = "status"
	// stageOperation is an evaluation of one of the engine's operations.
	stageOperation = "operation"
)

// evalDuration times the CUE evaluations that ran. A result recalled from the memo
// costs a hash and is not observed: the histogram shows what the engines cost, and
// its count how often the memo missed.
var evalDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name: "dbaas_render_duration_seconds",
	Help: "CUE evaluations of an engine that ran (memo hits excluded), by engine and stage: render (its stages), status (its status mapping) or operation (one of its operations).",
	// From a small status mapping (milliseconds) to a large render on a busy CPU.
	Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
}, []string{"engine", "stage"})

func init() {
	metrics.Registry.MustRegister(evalDuration)
}

// timed observes how long an evaluation of stage took, from start; it is deferred
// at the start of the evaluation.
func (e *Engine) timed(stage string, start time.Time) {
	evalDuration.WithLabelValues(e.Name, stage).Observe(time.Since(start).Seconds())
}
