// Package retry tries again, within a fraction of a second, the reads of the API
// server that fail for a reason that passes.
package retry

import (
	"context"
	"errors"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Reads returns a reader that tries a read again when it fails for a reason that
// passes (throttling, a server error or timeout, a reset connection), a few times
// within a fraction of a second. An admission request has no later: refusing a
// user's apply because one read failed once would put the retry on the user. A
// reconcile has a later, but a costly one: it fails as a whole, evaluates the
// engine again, and waits a backoff that grows with each failure, so that a
// reconcile of several reads that each fail now and then would stall a new cluster
// for minutes. Writes are not retried here: a write that failed (a conflict) is
// decided again on a fresh read, by the next reconcile.
func Reads(r client.Reader) client.Reader {
	return retrying{r: r, attempts: readAttempts, wait: firstRetryWait}
}

const (
	readAttempts   = 4
	firstRetryWait = 20 * time.Millisecond
)

type retrying struct {
	r        client.Reader
	attempts int
	wait     time.Duration
}

func (r retrying) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return r.do(ctx, func() error { return r.r.Get(ctx, key, obj, opts...) })
}

func (r retrying) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.do(ctx, func() error { return r.r.List(ctx, list, opts...) })
}

// do runs read until it succeeds, fails for good, or the attempts or ctx run out;
// the wait doubles between attempts.
func (r retrying) do(ctx context.Context, read func() error) error {
	wait := r.wait
	for attempt := 1; ; attempt++ {
		err := read()
		if err == nil || attempt >= r.attempts || !passing(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// passing reports whether a read that failed with err may succeed when tried again.
func passing(err error) bool {
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
