package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The outcome metrics count each OpsRequest once, when the status write that moves
// it to its final phase succeeds: that write is guarded by the resourceVersion, so a
// retried reconcile or a restarted operator cannot make it twice.
var (
	opsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dbaas_opsrequests_total",
		Help: "OpsRequests that ended, by engine, type and outcome (the final phase: Succeeded, Failed, Cancelled or TimedOut).",
	}, []string{"engine", "type", "outcome"})
	opsDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dbaas_opsrequest_duration_seconds",
		Help: "How long ended OpsRequests took, from their creation (time queued included) to their final phase.",
		// From a dry run (a second) to a long resize or upgrade (hours).
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400},
	}, []string{"engine", "type", "outcome"})
)

func init() {
	metrics.Registry.MustRegister(opsTotal, opsDuration)
}

// unknownEngine labels an operation whose cluster could not be read.
const unknownEngine = "unknown"

// recordEnded counts an operation whose final phase was just written.
func recordEnded(s *opsScope) {
	engine := unknownEngine
	if s.cluster != nil && s.cluster.Spec.Engine != "" {
		engine = s.cluster.Spec.Engine
	}
	labels := prometheus.Labels{"engine": engine, "type": string(s.ops.Spec.Type), "outcome": string(s.ops.Status.Phase)}
	opsTotal.With(labels).Inc()
	if end := s.ops.Status.CompletionTime; end != nil {
		opsDuration.With(labels).Observe(max(end.Sub(s.ops.CreationTimestamp.Time).Seconds(), 0))
	}
}

// endsNow reports whether the status about to be written is the first with a final
// phase.
func endsNow(s *opsScope) bool {
	return s.ops.Status.Phase.Finished() && !s.original.Status.Phase.Finished()
}
