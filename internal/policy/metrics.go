package policy

import (
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
)

func init() {
	metrics.Registry.MustRegister(reloadErrors, lastReloadSuccess)
}
