package certs

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Rotator runs Ensure every Interval while the operator runs, on every replica: the
// replica that finds the certificate near expiry renews it, the others pick up the
// renewed one from the Secret (the webhook server reloads the files it writes), and
// a webhook configuration re-applied without its caBundle gets it back.
type Rotator struct {
	// Client reads and writes the Secret and the webhook configurations; a live
	// client, since the manager's cache does not hold Secrets.
	Client client.Client
	// Options name what Ensure provisions.
	Options Options
	// Interval between two checks. Default: ten minutes.
	Interval time.Duration
	// Log receives the checks that failed; the next tick tries again.
	Log logr.Logger
}

// Start checks until ctx ends; a failed check is logged and retried next tick.
func (r *Rotator) Start(ctx context.Context) error {
	interval := r.Interval
	if interval == 0 {
		interval = 10 * time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.check(ctx)
		}
	}
}

// checkTimeout bounds one check, so a hung API call cannot stop the checks after it.
const checkTimeout = time.Minute

// check runs Ensure once.
func (r *Rotator) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := Ensure(ctx, r.Client, r.Options); err != nil {
		r.Log.Error(err, "cannot check the webhook certificate; trying again at the next tick")
	}
}

// NeedLeaderElection is false: every replica serves webhooks, so every replica
// keeps its certificate current.
func (r *Rotator) NeedLeaderElection() bool { return false }
