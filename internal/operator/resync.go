package operator

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/policy"
	"dbaas.io/operator/internal/render"
)

// overrideWatcher follows the --engines-dir and --policies-dir overrides: every
// interval it reloads the engine folder (the policy reloader reloads its own), and
// when the engines or policies in service changed it reconciles every
// DatabaseCluster again, so a tightened policy or a new engine version reaches
// existing clusters without waiting for an edit of each. A broken engine override is
// logged and counted; its last good version keeps serving.
type overrideWatcher struct {
	client   client.Client
	registry *render.Registry
	gate     *policy.Gate
	interval time.Duration
	out      chan<- event.GenericEvent
}

// fingerprint identifies the engines and policies in service.
func (w *overrideWatcher) fingerprint() string {
	f := w.gate.Current().Digest()
	for _, e := range w.registry.Engines() {
		f += "," + e.Digest
	}
	return f
}

func (w *overrideWatcher) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("overrides")
	last := w.fingerprint()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := w.registry.Reload(); err != nil {
			engineReloadErrors.Inc()
			log.Error(err, "an engine override failed to load; the last good version serves")
		}
		now := w.fingerprint()
		if now == last {
			continue
		}
		last = now
		var clusters dbaasv1.DatabaseClusterList
		if err := w.client.List(ctx, &clusters); err != nil {
			log.Error(err, "cannot list clusters to reconcile after a change of engines or policies")
			continue
		}
		for i := range clusters.Items {
			select {
			case w.out <- event.GenericEvent{Object: &clusters.Items[i]}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
