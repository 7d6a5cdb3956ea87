package operator

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
)

// kindPoller looks, every interval, for the CRDs of the child kinds that are not
// watched yet, and has the controllers watch them once they are installed: a child
// operator installed after this one started is picked up without a restart. It
// stops once every kind is watched.
type kindPoller struct {
	kinds    []schema.GroupVersionKind
	watch    func([]schema.GroupVersionKind) ([]schema.GroupVersionKind, error)
	interval time.Duration
}

func (p *kindPoller) Start(ctx context.Context) error {
	log := ctrl.Log.WithName("kinds")
	missing := p.kinds
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		next, err := p.watch(missing)
		if err != nil {
			log.Error(err, "cannot watch the child kinds installed since the start; trying again")
		} else {
			missing = next
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
