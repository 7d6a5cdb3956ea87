// Command dbaas-operator runs the DatabaseCluster and OpsRequest controllers and
// their admission webhooks.
package main

import (
	"flag"
	"fmt"
	"k8s.io/apimachinery/pkg/api/resource"
	"os"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"dbaas.io/operator/internal/operator"
)

func main() {
	setGCPercent()
	var o operator.Options
	var qps float64
	flag.StringVar(&o.EnginesDir, "engines-dir", "", "folder of engine packages that override or add to the embedded engines (one subfolder per engine)")
	flag.StringVar(&o.PoliciesDir, "policies-dir", "", "folder of Rego policies and data that replace the embedded policies")
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", `address of the Prometheus metrics endpoint; "0" disables it`)
	flag.BoolVar(&o.MetricsSecure, "metrics-secure", true, "serve metrics over HTTPS to clients whose token the API server authenticates and authorizes to get /metrics; false serves plain HTTP to anyone")
	flag.StringVar(&o.MetricsCertDir, "metrics-cert-dir", "", "folder of the metrics serving certificate (tls.crt, tls.key), reloaded when it changes (default: a self-signed certificate made at start)")
	flag.BoolVar(&o.EnableHTTP2, "enable-http2", false, "let the metrics and webhook servers speak HTTP/2")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	flag.StringVar(&o.PprofAddr, "pprof-bind-address", "0", `address of the Go profiler (/debug/pprof); "0" disables it`)
	flag.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader so only one replica reconciles at a time")
	flag.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election lease (default: the operator's namespace)")
	flag.BoolVar(&o.Webhooks, "webhooks", true, "serve the validating admission webhooks")
	flag.IntVar(&o.WebhookPort, "webhook-port", 9443, "port of the webhook server")
	flag.StringVar(&o.WebhookCertDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs", "folder of the webhook serving certificate (tls.crt, tls.key)")
	flag.BoolVar(&o.ManageWebhookCerts, "manage-webhook-certs", true, "issue the webhook certificate into a Secret and inject its CA into the webhook configuration (disable when cert-manager does it)")
	flag.StringVar(&o.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "namespace of the operator (default: $POD_NAMESPACE)")
	flag.StringVar(&o.PodName, "pod-name", os.Getenv("POD_NAME"), "the operator's Pod, for Events about the operator (default: $POD_NAME)")
	flag.IntVar(&o.Concurrency, "concurrency", 4, "how many clusters, and how many OpsRequests, are reconciled at once (see --cluster-workers, --ops-workers)")
	flag.IntVar(&o.ClusterWorkers, "cluster-workers", 0, "how many DatabaseClusters are reconciled at once (default: --concurrency)")
	flag.IntVar(&o.OpsWorkers, "ops-workers", 0, "how many OpsRequests are reconciled at once (default: --concurrency)")
	flag.Float64Var(&qps, "kube-api-qps", 200, "requests per second the operator may send to the API server")
	flag.IntVar(&o.KubeAPIBurst, "kube-api-burst", 400, "requests the operator may send to the API server in a burst")
	flag.IntVar(&o.WebhookMaxConcurrency, "webhook-max-concurrency", 0, "admission requests evaluated at once; the others wait (default: 2 per CPU)")
	flag.IntVar(&o.WebhookNamespaceConcurrency, "webhook-namespace-concurrency", 0, "admission requests from one namespace evaluated at once; the others wait a second, then are refused with 429 (default: half of --webhook-max-concurrency)")
	flag.Func("watch-namespaces", "comma-separated namespaces to serve (default: all)", func(v string) error {
		o.WatchNamespaces = append(o.WatchNamespaces, strings.Split(v, ",")...)
		return nil
	})
	flag.StringVar(&o.NamespaceSelector, "namespace-selector", "", "serve the namespaces with these labels, e.g. dbaas.io/shard=a (a shard of the fleet); the operator restarts when the set changes")
	flag.StringVar(&o.LeaderElectionID, "leader-election-id", "dbaas-operator.dbaas.io", "name of the leader election lease; give each shard its own")
	flag.Func("render-memo-size", "bytes of results each engine's memo of the reconcilers' renders may hold, e.g. 8Mi (default 2Mi)", func(v string) error {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return err
		}
		o.RenderMemoBytes = q.Value()
		return nil
	})
	logFormat := operator.LogJSON
	flag.Func("log-format", `how the log is written: "json" (default, for a log collector) or "console" (text for a person); --zap-encoder, when given, wins`, func(v string) error {
		f, err := operator.ParseLogFormat(v)
		logFormat = f
		return err
	})
	showVersion := flag.Bool("version", false, "print the version and exit")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	stopHeapProfiling(o.PprofAddr)
	if *showVersion {
		fmt.Println("dbaas-operator", version)
		return
	}
	o.KubeAPIQPS = float32(qps)
	ctrl.SetLogger(operator.NewLogger(logFormat, os.Stderr, zapOpts))
	log := ctrl.Log.WithName("setup")

	mgr, err := operator.New(ctrl.GetConfigOrDie(), o)
	if err != nil {
		log.Error(err, "cannot start the operator")
		os.Exit(1)
	}
	log.Info("starting the operator", "version", version)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "the operator stopped with an error")
		os.Exit(1)
	}
}
