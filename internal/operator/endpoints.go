package operator

import (
	"crypto/tls"

	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The secure metrics endpoint asks the API server who a scraper is (TokenReview)
// and whether it may get /metrics (SubjectAccessReview).
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// metricsOptions serves metrics over HTTPS to authenticated and authorized clients
// when o.MetricsSecure is set, and over plain HTTP to anyone otherwise (`dbaasctl
// dev`, where the endpoint listens on the developer's machine).
func metricsOptions(o Options) metricsserver.Options {
	m := metricsserver.Options{BindAddress: o.MetricsAddr}
	if !o.MetricsSecure {
		return m
	}
	m.SecureServing = true
	m.FilterProvider = metricsAuthFilter
	m.TLSOpts = tlsOptions(o)
	// With no tls.crt and tls.key there, controller-runtime generates a
	// self-signed certificate at start.
	m.CertDir = o.MetricsCertDir
	return m
}

// tlsOptions are the TLS settings of the metrics and webhook servers: HTTP/1.1
// only unless o.EnableHTTP2, since HTTP/2 stream resets can exhaust a server
// (CVE-2023-44487, CVE-2023-39325) and neither endpoint gains from it.
func tlsOptions(o Options) []func(*tls.Config) {
	if o.EnableHTTP2 {
		return nil
	}
	return []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
}

// addProbes serves /healthz (the process answers) and /readyz, which also
// requires the webhook server to accept TLS connections when the operator serves
// webhooks: the webhook Service sends admission requests only to ready replicas,
// and a replica whose webhook server is not serving yet, or no longer, would fail
// them.
func addProbes(mgr manager.Manager, o Options) error {
	if o.ProbeAddr == "0" {
		return nil
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	if !o.Webhooks {
		// GetWebhookServer would add a webhook server to the manager.
		return nil
	}
	return mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker())
}
