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

// engineReloader reloads the --engines-dir folder every interval, on every replica:
// each one serves webhooks, which must judge with the engines in service. A broken
// engine override is logged and counted; its last good version keeps serving.
type engineReloader struct {
	registry *render.Registry
	interval time.Duration
}

func (e *engineReloader) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("overrides")
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := e.registry.Reload(); err != nil {
			engineReloadErrors.Inc()
			log.Error(err, "an engine override failed to load; the last good version serves")
		}
	}
}

// NeedLeaderElection is false: every replica reloads.
func (e *engineReloader) NeedLeaderElection() bool { return false }

// resyncer reconciles every DatabaseCluster again when the engines or policies in
// service changed, so that a tightened policy or a new engine version reaches
// existing clusters without waiting for an edit of each. It runs on the leader,
// where the controllers run.
type resyncer struct {
	client   client.Client
	registry *render.Registry
	gate     *policy.Gate
	interval time.Duration
	out      chan<- event.GenericEvent
}

// fingerprint identifies the engines and policies in service.
func (w *resyncer) fingerprint() string {
	f := "no policies"
	if set := w.gate.Current(); set != nil {
		f = set.Digest()
	}
	for _, e := range w.registry.Engines() {
		f += "," + e.Digest
	}
	return f
}

func (w *resyncer) Start(ctx context.Context) error {
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
		now := w.fingerprint()
		if now == last {
			continue
		}
		var clusters dbaasv1.DatabaseClusterList
		if err := w.client.List(ctx, &clusters); err != nil {
			log.Error(err, "cannot list clusters to reconcile after a change of engines or policies; trying again")
			continue
		}
		last = now
		for i := range clusters.Items {
			select {
			case w.out <- event.GenericEvent{Object: &clusters.Items[i]}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
