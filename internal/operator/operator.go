// Package operator assembles the manager: engines, policies, reconcilers and
// webhooks. The operator binary, `dbaasctl dev` and the end-to-end tests all start
// the operator through New, so they run the same thing.
package operator

import (
	"context"
	"fmt"
	goruntime "runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/certs"
	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/lastgood"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
	"dbaas.io/operator/internal/retry"
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
	// PprofAddr serves the Go profiler; "" or "0" disables it.
	PprofAddr string
	// MetricsSecure serves metrics over HTTPS to clients that present a token the
	// API server authenticates and whose identity may get /metrics (see
	// metricsOptions). The operator binary sets it; `dbaasctl dev` serves plain
	// HTTP. Default: false.
	MetricsSecure bool
	// MetricsCertDir holds tls.crt and tls.key for the secure metrics endpoint,
	// reloaded when they change. Default: a self-signed certificate made at start.
	MetricsCertDir string
	// EnableHTTP2 lets the metrics and webhook servers speak HTTP/2. Default: off.
	EnableHTTP2 bool
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
	// RenderMemoBytes is the budget of each engine's memo of the reconcilers' renders
	// (0: render.DefaultMemoBytes).
	RenderMemoBytes int64
	// Concurrency is how many clusters, and how many OpsRequests, are reconciled at
	// once, unless ClusterWorkers or OpsWorkers say otherwise. Default: 4.
	Concurrency int
	// ClusterWorkers and OpsWorkers are how many DatabaseClusters and OpsRequests are
	// reconciled at once. Default: Concurrency.
	ClusterWorkers, OpsWorkers int
	// KubeAPIQPS and KubeAPIBurst bound the operator's requests to the API server.
	// Default: 200 and 400, enough to create a thousand clusters at the API server's
	// speed; client-go's own 5 and 10 would take minutes.
	KubeAPIQPS   float32
	KubeAPIBurst int
	// WebhookMaxConcurrency is how many admission requests are evaluated at once; the
	// others wait (the API server times them out). Default: 2 per CPU.
	WebhookMaxConcurrency int
	// WebhookNamespaceConcurrency is how many of them may come from one namespace; the
	// others wait up to a second for their namespace's turn, then are refused with
	// 429 Too Many Requests. Default: half of WebhookMaxConcurrency.
	WebhookNamespaceConcurrency int
	// WatchNamespaces limits the operator to these namespaces; NamespaceSelector adds
	// the namespaces whose labels match it (a shard). Default: every namespace.
	WatchNamespaces   []string
	NamespaceSelector string
	// LeaderElectionID names the lease; operators serving different shards need
	// different ones. Default: dbaas-operator.dbaas.io.
	LeaderElectionID string
	// RetryInterval is how soon an unmet precondition is checked again. Default: 10s.
	RetryInterval time.Duration
	// KindPollInterval is how often the operator looks for the CRDs of child kinds
	// it does not watch yet (a child operator installed after it started).
	// Default: 30s.
	KindPollInterval time.Duration
	// OpsHook is called at the named points of every operation (fault-injection
	// tests stop the operator there); nil in the operator binary.
	OpsHook controller.OpsHook
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
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	namespaces, selected, err := watchedNamespaces(context.Background(), cfg, o)
	if err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	lastGood, err := lastGoodStore(cfg, scheme, o)
	if err != nil {
		return nil, err
	}
	var engineStores []render.LastGood
	if lastGood != nil {
		engineStores = append(engineStores, lastGood)
	}
	registry, err := render.NewRegistry(engines.FS(), o.EnginesDir, engineStores...)
	if registry == nil {
		return nil, fmt.Errorf("cannot load the embedded engines: %w", err)
	}
	registry.SetMemoBudget(o.RenderMemoBytes)
	log := ctrl.Log.WithName("operator")
	if err != nil {
		log.Error(err, "an engine override failed to load; the last good version serves", "dir", o.EnginesDir)
	}
	var rotator *certs.Rotator
	if o.Webhooks && o.ManageWebhookCerts {
		if rotator, err = provisionCerts(cfg, scheme, o); err != nil {
			return nil, err
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOptions(o),
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		Controller:              config.Controller{SkipNameValidation: &o.RestartableInProcess},
		// Children are unstructured objects: read them from the informers the
		// controllers already run for their watches, not with a request per list.
		Client: client.Options{Cache: &client.CacheOptions{Unstructured: true}},
		Cache:  cacheOptions(namespaces),
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: o.WebhookHost, Port: o.WebhookPort, CertDir: o.WebhookCertDir, TLSOpts: tlsOptions(o),
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("cannot create the manager: %w", err)
	}
	statusMetrics.use(mgr.GetCache())
	providers := &provider.Factory{Registry: registry}
	// live reads the API server, and tries a read that failed for a passing reason
	// again at once: a reconcile that failed on it would render again after a backoff.
	live := retry.Reads(mgr.GetAPIReader())
	gate, err := policyGate(mgr, o, lastGood, live)
	if err != nil {
		return nil, err
	}
	kinds := childKinds(registry)
	watched := map[schema.GroupKind]bool{
		dbaasv1.GroupVersion.WithKind("DatabaseCluster").GroupKind(): true,
		dbaasv1.GroupVersion.WithKind("BackupStorage").GroupKind():   true,
	}
	for _, gvk := range kinds {
		watched[gvk.GroupKind()] = true
	}
	resync := make(chan event.GenericEvent)
	// c reads our own kinds through their typed informers, even as unstructured.
	c := typedOwnKinds{Client: mgr.GetClient()}
	// cached reads the served namespaces from the cache and the others live (the
	// webhooks have one of their own: they admit the requests of every namespace).
	cached := newServedOrLive(c, live, namespaces)
	lookups := watchedFromCache{cached: cached, live: live, watched: watched}
	// The policy judges the BackupStorages a cluster names: from the cache of the
	// served namespaces, live for the others and for one created a moment ago.
	gate.Storages = cacheThenLive{cached: cached, live: live}
	clusters := &controller.DatabaseClusterReconciler{
		Resync:        resync,
		Lookups:       lookups,
		Live:          live,
		Concurrency:   o.ClusterWorkers,
		Client:        c,
		Providers:     providers,
		Policy:        gate,
		Recorder:      mgr.GetEventRecorder("dbaas-operator"),
		Applier:       apply.NewApplier(mgr.GetClient()),
		RetryInterval: o.RetryInterval,
		// The child operators' scheduled backups do not carry the operator's labels:
		// they are cached apart, by their child operator's cluster label.
		NewBackupCache: backupCache(mgr, namespaces),
	}
	if err := clusters.SetupWithManager(mgr, kinds); err != nil {
		return nil, fmt.Errorf("cannot set up the DatabaseCluster controller: %w", err)
	}
	if err := mgr.Add(&kindPoller{kinds: kinds, watch: clusters.WatchKinds, interval: o.KindPollInterval}); err != nil {
		return nil, err
	}
	backups := backupKinds(registry)
	backupGVKs := make([]schema.GroupVersionKind, 0, len(backups))
	for _, k := range backups {
		backupGVKs = append(backupGVKs, k.GVK)
	}
	if err := mgr.Add(&kindPoller{kinds: backupGVKs, watch: watchBackupKinds(backups, clusters.WatchBackupKinds), interval: o.KindPollInterval}); err != nil {
		return nil, err
	}
	ops := &controller.OpsRequestReconciler{
		Client:      c,
		Live:        live,
		Providers:   providers,
		Policy:      gate,
		Recorder:    mgr.GetEventRecorder("dbaas-operator"),
		Clock:       clock.RealClock{},
		Concurrency: o.OpsWorkers,
		Hook:        o.OpsHook,
	}
	if err := ops.SetupWithManager(mgr, kinds); err != nil {
		return nil, fmt.Errorf("cannot set up the OpsRequest controller: %w", err)
	}
	storages := &controller.BackupStorageReconciler{Client: c, Live: live}
	if err := storages.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("cannot set up the BackupStorage controller: %w", err)
	}
	if o.Webhooks {
		if err := (&dbaaswebhook.DatabaseClusterFinalizer{}).SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("cannot set up the DatabaseCluster finalizer webhook: %w", err)
		}
		// The webhooks evaluate engines through their admission views, and at most
		// WebhookMaxConcurrency at once, WebhookNamespaceConcurrency per namespace: a
		// flood of dry-runs can neither evict the reconcilers' memo nor occupy their
		// instances, nor make admission time out for the other namespaces.
		admission := &provider.Factory{Registry: registry, Admission: true}
		limiter := dbaaswebhook.NewLimiter(o.WebhookMaxConcurrency, o.WebhookNamespaceConcurrency, admissionWait)
		disco, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("cannot create the discovery client: %w", err)
		}
		admissionCached := newServedOrLive(c, live, namespaces)
		admissionLookups := watchedFromCache{cached: admissionCached, live: live, watched: watched}
		v := &dbaaswebhook.DatabaseClusterValidator{Providers: admission, Registry: registry, Policy: gate, Lookups: admissionLookups, Live: live, Limiter: limiter,
			Installed: childcheck.New(disco, servedKindTTL)}
		if err := v.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("cannot set up the DatabaseCluster webhook: %w", err)
		}
		ov := &dbaaswebhook.OpsRequestValidator{Client: live, Cache: admissionCached, Providers: admission, Policy: gate, Limiter: limiter}
		if err := ov.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("cannot set up the OpsRequest webhook: %w", err)
		}
	}
	if o.EnginesDir != "" {
		if err := mgr.Add(&engineReloader{registry: registry, interval: o.ReloadInterval}); err != nil {
			return nil, err
		}
	}
	if o.EnginesDir != "" || o.PoliciesDir != "" {
		w := &resyncer{client: mgr.GetClient(), registry: registry, gate: gate, interval: o.ReloadInterval, out: resync}
		if err := mgr.Add(w); err != nil {
			return nil, err
		}
	}
	if o.NamespaceSelector != "" {
		selector, _ := labels.Parse(o.NamespaceSelector)
		w := &namespaceWatcher{client: mgr.GetAPIReader(), selector: selector, serving: selected, interval: o.KindPollInterval}
		if err := mgr.Add(w); err != nil {
			return nil, err
		}
	}
	if rotator != nil {
		if err := mgr.Add(rotator); err != nil {
			return nil, err
		}
	}
	if err := addProbes(mgr, o); err != nil {
		return nil, err
	}
	return mgr, nil
}

// servedKindTTL is how long the webhook trusts that a child kind it found served
// still is; a kind not served is asked about at every create, so a child operator
// installed a moment ago is seen at once.
const servedKindTTL = 30 * time.Second

// admissionWait is how long an admission request waits for its namespace's turn
// before it is refused.
const admissionWait = time.Second

func (o *Options) defaults() {
	if o.ReloadInterval == 0 {
		o.ReloadInterval = 5 * time.Second
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.ClusterWorkers == 0 {
		o.ClusterWorkers = o.Concurrency
	}
	if o.OpsWorkers == 0 {
		o.OpsWorkers = o.Concurrency
	}
	if o.KubeAPIQPS == 0 {
		o.KubeAPIQPS = 200
	}
	if o.KubeAPIBurst == 0 {
		o.KubeAPIBurst = 400
	}
	if o.WebhookMaxConcurrency == 0 {
		o.WebhookMaxConcurrency = 2 * goruntime.GOMAXPROCS(0)
	}
	if o.WebhookNamespaceConcurrency == 0 {
		o.WebhookNamespaceConcurrency = max(o.WebhookMaxConcurrency/2, 1)
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = "dbaas-operator.dbaas.io"
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = 10 * time.Second
	}
	if o.KindPollInterval == 0 {
		o.KindPollInterval = 30 * time.Second
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
func policyGate(mgr manager.Manager, o Options, lastGood lastgood.Store, live client.Reader) (*policy.Gate, error) {
	gate := &policy.Gate{Namespaces: policy.ClientNamespaces{Client: cacheThenLive{cached: mgr.GetClient(), live: live}}}
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
	opts := []policy.Option{policy.WithPollInterval(o.ReloadInterval)}
	if lastGood != nil {
		opts = append(opts, policy.WithLastGood(lastGood))
	}
	reloader, err := policy.NewReloader(o.PoliciesDir, log, func(err error) {
		if pod := operatorPod(o); pod != nil {
			recorder.Eventf(pod, nil, corev1.EventTypeWarning, "PolicyReloadFailed", "Reload", "%s", err)
		}
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot load the policies of %s: %w", o.PoliciesDir, err)
	}
	if err := mgr.Add(reloader); err != nil {
		return nil, err
	}
	gate.Current, gate.Problem = reloader.Current, reloader.Problem
	return gate, nil
}

// lastGoodStore keeps the last good engine and policy overrides in ConfigMaps of the
// operator's namespace, so that they survive a restart; none without a namespace (a
// local control plane) or without overrides.
func lastGoodStore(cfg *rest.Config, scheme *runtime.Scheme, o Options) (lastgood.Store, error) {
	if o.Namespace == "" || (o.EnginesDir == "" && o.PoliciesDir == "") {
		return nil, nil
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cannot create the client of the last good overrides: %w", err)
	}
	return lastgood.ConfigMaps{Client: c, Namespace: o.Namespace}, nil
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
// certificate when it starts, and returns the Rotator that keeps it current while
// the manager runs.
func provisionCerts(cfg *rest.Config, scheme *runtime.Scheme, o Options) (*certs.Rotator, error) {
	// A live client: the manager's cache does not hold Secrets.
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	co := certs.Options{
		Namespace:                    o.Namespace,
		SecretName:                   "dbaas-webhook-cert",
		ServiceName:                  "dbaas-webhook-service",
		WebhookConfiguration:         "dbaas-validating-webhook-configuration",
		MutatingWebhookConfiguration: "dbaas-mutating-webhook-configuration",
		CertDir:                      o.WebhookCertDir,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := certs.Ensure(ctx, c, co); err != nil {
		return nil, fmt.Errorf("cannot provision the webhook certificate: %w", err)
	}
	return &certs.Rotator{Client: c, Options: co, Log: ctrl.Log.WithName("certs")}, nil
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
