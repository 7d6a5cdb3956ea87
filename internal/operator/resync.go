package operator

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// resyncer reconciles every DatabaseCluster again when the engines or policies in
// service change (an override folder was edited), so a tightened policy or a new
// engine version reaches existing clusters without waiting for an edit of each.
type resyncer struct {
	client      client.Client
	fingerprint func() string
	interval    time.Duration
	out         chan<- event.GenericEvent
}

func (r *resyncer) Start(ctx context.Context) error {
	last := r.fingerprint()
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := r.fingerprint()
		if now == last {
			continue
		}
		last = now
		var clusters dbaasv1.DatabaseClusterList
		if err := r.client.List(ctx, &clusters); err != nil {
			ctrl.Log.WithName("resync").Error(err, "cannot list clusters to reconcile after a change of engines or policies")
			continue
		}
		for i := range clusters.Items {
			select {
			case r.out <- event.GenericEvent{Object: &clusters.Items[i]}:
			case <-ctx.Done():
				return nil
			}
		}
	}
}
