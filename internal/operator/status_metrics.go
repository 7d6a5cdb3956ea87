package operator

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// The status metrics say what the DatabaseClusters and OpsRequests report, so that
// alerts (the chart's PrometheusRule) need no kube-state-metrics: they are read from
// the manager's cache at each scrape, and cost nothing between scrapes.
var (
	clusterReadyDesc = prometheus.NewDesc("dbaas_databasecluster_ready",
		"1 when the DatabaseCluster's Ready condition is True, else 0; phase is status.phase.",
		[]string{"namespace", "name", "engine", "phase"}, nil)
	clustersDesc = prometheus.NewDesc("dbaas_databaseclusters",
		"DatabaseClusters by engine and status.phase.",
		[]string{"engine", "phase"}, nil)
	opsPhaseDesc = prometheus.NewDesc("dbaas_opsrequest_phase",
		"1 for each OpsRequest, labelled with its status.phase (Pending when it has none yet) and whether it is a dry run (spec.dryRun).",
		[]string{"namespace", "name", "cluster", "type", "phase", "dry_run"}, nil)
	opsDeadlineDesc = prometheus.NewDesc("dbaas_opsrequest_deadline_timestamp_seconds",
		"When a Running OpsRequest must end: status.startTime plus status.timeoutSeconds, in Unix seconds.",
		[]string{"namespace", "name", "cluster", "type"}, nil)
)

// scrapeTimeout bounds the reads of one scrape.
const scrapeTimeout = 10 * time.Second

// statusCollector reads from the current manager's cache. One collector is
// registered for the process; New points it at the manager it builds (a test may
// build several in turn).
type statusCollector struct {
	reader atomic.Pointer[client.Reader]
}

var statusMetrics = &statusCollector{}

func init() {
	metrics.Registry.MustRegister(statusMetrics)
}

// use makes the collector read from r.
func (s *statusCollector) use(r client.Reader) {
	s.reader.Store(&r)
}

// Describe implements prometheus.Collector.
func (s *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{clusterReadyDesc, clustersDesc, opsPhaseDesc, opsDeadlineDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A list that fails (the cache not started
// yet) leaves its metrics out of this scrape and is logged: an invalid metric would
// fail the whole scrape, controller-runtime's metrics and `up` included.
func (s *statusCollector) Collect(ch chan<- prometheus.Metric) {
	r := s.reader.Load()
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	log := ctrl.Log.WithName("metrics")
	clusters := &dbaasv1.DatabaseClusterList{}
	if err := (*r).List(ctx, clusters); err != nil {
		log.Error(err, "cannot list the DatabaseClusters for their metrics")
	} else {
		collectClusters(ch, clusters.Items)
	}
	ops := &dbaasv1.OpsRequestList{}
	if err := (*r).List(ctx, ops); err != nil {
		log.Error(err, "cannot list the OpsRequests for their metrics")
	} else {
		collectOps(ch, ops.Items)
	}
}

func collectClusters(ch chan<- prometheus.Metric, clusters []dbaasv1.DatabaseCluster) {
	type key struct{ engine, phase string }
	counts := map[key]int{}
	for _, c := range clusters {
		phase := string(c.Status.Phase)
		ready := 0.0
		if meta.IsStatusConditionTrue(c.Status.Conditions, dbaasv1.ReadyCondition) {
			ready = 1
		}
		ch <- prometheus.MustNewConstMetric(clusterReadyDesc, prometheus.GaugeValue, ready, c.Namespace, c.Name, c.Spec.Engine, phase)
		counts[key{c.Spec.Engine, phase}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(clustersDesc, prometheus.GaugeValue, float64(n), k.engine, k.phase)
	}
}

func collectOps(ch chan<- prometheus.Metric, ops []dbaasv1.OpsRequest) {
	for _, op := range ops {
		phase := op.Status.Phase
		if phase == "" {
			phase = dbaasv1.OpsPending
		}
		labels := []string{op.Namespace, op.Name, op.Spec.ClusterRef, string(op.Spec.Type)}
		ch <- prometheus.MustNewConstMetric(opsPhaseDesc, prometheus.GaugeValue, 1, append(labels, string(phase), strconv.FormatBool(op.Spec.DryRun))...)
		if phase == dbaasv1.OpsRunning && op.Status.StartTime != nil && op.Status.TimeoutSeconds != nil {
			deadline := op.Status.StartTime.Add(time.Duration(*op.Status.TimeoutSeconds) * time.Second)
			ch <- prometheus.MustNewConstMetric(opsDeadlineDesc, prometheus.GaugeValue, unixSeconds(deadline), labels...)
		}
	}
}

func unixSeconds(t time.Time) float64 {
	return float64(t.Unix())
}
