package controller

import (
	"errors"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
)

// permanentError is an error that retrying does not cure; it fails the operation.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// permanent marks err as one that fails the operation.
func permanent(err error) error { return permanentError{err: err} }

// isPermanent reports whether err will not go away by retrying: an error marked
// permanent, an API error of the client's making (invalid, forbidden, not found,
// bad request: 4xx but conflicts, throttling and timeouts), or a kind the API server
// does not serve. Everything else (conflicts, 429, 5xx, timeouts, a connection that
// broke) is transient: the request is retried with backoff until the operation's
// timeout.
func isPermanent(err error) bool {
	if err == nil {
		return false
	}
	var p permanentError
	if errors.As(err, &p) {
		return true
	}
	if meta.IsNoMatchError(err) {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	switch code := int(status.Status().Code); {
	case code == http.StatusConflict, code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		return false
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err):
		return false
	default:
		return code >= 400 && code < 500
	}
}
