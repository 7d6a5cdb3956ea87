// Package operator assembles the manager: engines, policies, reconcilers and
// webhooks. The operator binary, `dbaasctl dev` and the end-to-end tests all start
// the operator through New, so they run the same thing.
package operator

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/certs"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
	dbaaswebhook "dbaas.io/operator/internal/webhook"
	"dbaas.io/operator/policies"
)

// Options configure the operator.
type Options struct {
	// PoliciesDir replaces the embedded policies with a folder of Rego and data.
	PoliciesDir string
	// EnginesDir overrides or adds engines from a folder (one subfolder per engine).
	EnginesDir string
	// ReloadInterval is how often EnginesDir is checked for changes. Default: 5s.
	ReloadInterval time.Duration
	// MetricsAddr serves Prometheus metrics; "0" disables them.
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz; "0" disables them.
	ProbeAddr string
	// LeaderElection makes one replica active at a time.
	LeaderElection bool
	// LeaderElectionNamespace holds the lease; default: the in-cluster namespace.
	LeaderElectionNamespace string
	// Webhooks serves the validating webhooks.
	Webhooks bool
	// WebhookHost, WebhookPort and WebhookCertDir configure the webhook server.
	WebhookHost    string
	WebhookPort    int
	WebhookCertDir string
	// ManageWebhookCerts provisions the webhook certificate (see internal/certs)
	// before the webhook server starts, for a real cluster without cert-manager.
	ManageWebhookCerts bool
	// Namespace is the operator's namespace, for the certificate Secret.
	Namespace string
	// PodName is the operator's Pod, which Events about the operator (a policy
	// reload that failed) are about.
	PodName string
	// RestartableInProcess lets the same process create the manager again (tests that
	// restart the operator); it skips controller-runtime's unique-name check.
	RestartableInProcess bool
	// Concurrency is how many clusters, and how many OpsRequests, are reconciled at
	// once. Default: 4 (an engine evaluates on at most one compiled instance per CPU).
	Concurrency int
	// RetryInterval is how soon an unmet precondition is checked again. Default: 10s.
	RetryInterval time.Duration
}

// Scheme returns the scheme of every typed object the operator uses.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := dbaasv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// New builds the manager with every reconciler and webhook registered.
func New(cfg *rest.Config, o Options) (manager.Manager, error) {
	o.defaults()
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	registry, err := render.NewRegistry(engines.FS(), o.EnginesDir)
	if registry == nil {
		return nil, fmt.Errorf("cannot load the embedded engines: %w", err)
	}
	log := ctrl.Log.WithName("operator")
	if err != nil {
		log.Error(err, "an engine override failed to load; the last good version serves", "dir", o.EnginesDir)
	}
	if o.Webhooks && o.ManageWebhookCerts {
		if err := provisionCerts(cfg, scheme, o); err != nil {
			return nil, err
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "dbaas-operator.dbaas.io",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		Controller:              config.Controller{SkipNameValidation: &o.RestartableInProcess},
		// Children are unstructured objects: read them from the informers the
		// controllers already run for their watches, not with a request per list.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: o.WebhookHost, Port: o.WebhookPort, CertDir: o.WebhookCertDir,
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot create the manager: %w", err)
	}
	providers := &provider.Factory{Registry: registry}
	gate, err := policyGate(mgr, o)
	if err != nil {
		return nil, err
	}
	kinds := childKinds(registry)
	watched := map[schema.GroupKind]bool{dbaasv1.GroupVersion.WithKind("DatabaseCluster").GroupKind(): true}
	for _, gvk := range kinds {
		watched[gvk.GroupKind()] = true
	}
	resync := make(chan event.GenericEvent)
	lookups := watchedFromCache{cached: mgr.GetClient(), live: mgr.GetAPIReader(), watched: watched}
	clusters := &controller.DatabaseClusterReconciler{
		Resync:        resync,
		Lookups:       lookups,
		Concurrency:   o.Concurrency,
		Client:        mgr.GetClient(),
		Providers:     providers,
		Policy:        gate,
		Recorder:      mgr.GetEventRecorder("dbaas-operator"),
		Applier:       apply.NewApplier(mgr.GetClient()),
		RetryInterval: o.RetryInterval,
	}
	if err := clusters.SetupWithManager(mgr, kinds); err != nil {
		return nil, fmt.Errorf("cannot set up the DatabaseCluster controller: %w", err)
	}
	ops := &controller.OpsRequestReconciler{
		Client:      mgr.GetClient(),
		Live:        mgr.GetAPIReader(),
		Providers:   providers,
		Policy:      gate,
		Recorder:    mgr.GetEventRecorder("dbaas-operator"),
		Clock:       clock.RealClock{},
		Concurrency: o.Concurrency,
	}
	if err := ops.SetupWithManager(mgr, kinds); err != nil {
		return nil, fmt.Errorf("cannot set up the OpsRequest controller: %w", err)
	}
	if o.Webhooks {
		v := &dbaaswebhook.DatabaseClusterValidator{Providers: providers, Registry: registry, Policy: gate, Lookups: lookups, Live: mgr.GetAPIReader()}
		if err := v.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("cannot set up the DatabaseCluster webhook: %w", err)
		}
		ov := &dbaaswebhook.OpsRequestValidator{Client: mgr.GetAPIReader(), Cache: mgr.GetClient(), Providers: providers, Policy: gate}
		if err := ov.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("cannot set up the OpsRequest webhook: %w", err)
		}
	}
	if o.EnginesDir != "" || o.PoliciesDir != "" {
		w := &overrideWatcher{client: mgr.GetClient(), registry: registry, gate: gate, interval: o.ReloadInterval, out: resync}
		if err := mgr.Add(w); err != nil {
			return nil, err
		}
	}
	if o.ProbeAddr != "0" {
		if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

func (o *Options) defaults() {
	if o.ReloadInterval == 0 {
		o.ReloadInterval = 5 * time.Second
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = 10 * time.Second
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = "0"
	}
	if o.ProbeAddr == "" {
		o.ProbeAddr = "0"
	}
}

// policyGate loads the embedded policies, or the --policies-dir folder with a reloader
// that keeps the last good set serving when a change does not compile.
func policyGate(mgr manager.Manager, o Options) (*policy.Gate, error) {
	gate := &policy.Gate{Namespaces: policy.ClientNamespaces{Client: cacheThenLive{cached: mgr.GetClient(), live: mgr.GetAPIReader()}}}
	if o.PoliciesDir == "" {
		set, err := policy.Load(policies.FS)
		if err != nil {
			return nil, fmt.Errorf("cannot load the embedded policies: %w", err)
		}
		gate.Current = func() *policy.Set { return set }
		return gate, nil
	}
	log := ctrl.Log.WithName("policies")
	recorder := mgr.GetEventRecorder("dbaas-operator")
	reloader, err := policy.NewReloader(o.PoliciesDir, log, func(err error) {
		if pod := operatorPod(o); pod != nil {
			recorder.Eventf(pod, nil, corev1.EventTypeWarning, "PolicyReloadFailed", "Reload", "%s: the last good policies keep serving", err)
		}
	}, policy.WithPollInterval(o.ReloadInterval))
	if err != nil {
		return nil, fmt.Errorf("cannot load the policies of %s: %w", o.PoliciesDir, err)
	}
	if err := mgr.Add(reloader); err != nil {
		return nil, err
	}
	gate.Current = reloader.Current
	return gate, nil
}

// operatorPod is the operator's own Pod, which Events about the operator are about;
// nil outside a cluster.
func operatorPod(o Options) *corev1.Pod {
	if o.PodName == "" || o.Namespace == "" {
		return nil
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: o.PodName, Namespace: o.Namespace}}
}

// provisionCerts runs before the manager exists, so the webhook server finds its
// certificate when it starts.
func provisionCerts(cfg *rest.Config, scheme *runtime.Scheme, o Options) error {
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = certs.Ensure(ctx, c, certs.Options{
		Namespace:            o.Namespace,
		SecretName:           "dbaas-webhook-cert",
		ServiceName:          "dbaas-webhook-service",
		WebhookConfiguration: "dbaas-validating-webhook-configuration",
		CertDir:              o.WebhookCertDir,
	})
	if err != nil {
		return fmt.Errorf("cannot provision the webhook certificate: %w", err)
	}
	return nil
}

// childKinds is the union of the kinds every loaded engine may render.
func childKinds(r *render.Registry) []schema.GroupVersionKind {
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []schema.GroupVersionKind
	for _, e := range r.Engines() {
		for _, k := range e.Kinds {
			if !seen[k] {
				seen[k] = true
				kinds = append(kinds, k)
			}
		}
	}
	return kinds
}
