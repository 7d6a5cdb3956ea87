package operator

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// engineReloadErrors counts reloads of the engine override folder that failed.
var engineReloadErrors = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "dbaas_engine_reload_errors_total",
	Help: "Reloads of the --engines-dir override that failed; the last good engines kept serving.",
})

func init() {
	metrics.Registry.MustRegister(engineReloadErrors)
}
