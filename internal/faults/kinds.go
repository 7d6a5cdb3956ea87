package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind is a kind of fault: an answer the API server gives under load or a failure
// of the connection to it.
type Kind string

// The kinds of fault. The first five are answers with a Kubernetes Status body, so
// client-go turns them into the same errors as a real API server's answer; the last
// two are errors of the transport.
const (
	// Conflict is 409: the object changed since it was read. Only for update, patch
	// and delete, the requests that carry a resourceVersion or a precondition.
	Conflict Kind = "Conflict"
	// TooManyRequests is 429 with Retry-After 0 or 1, as priority and fairness sends
	// it; client-go waits and retries it up to ten times by itself.
	TooManyRequests Kind = "TooManyRequests"
	// InternalError is 500.
	InternalError Kind = "InternalError"
	// ServiceUnavailable is 503, as from an API server shutting down.
	ServiceUnavailable Kind = "ServiceUnavailable"
	// Timeout is 504: the API server gave up waiting for etcd or a webhook.
	Timeout Kind = "Timeout"
	// ClientTimeout is a timeout of the client's connection: no answer came.
	ClientTimeout Kind = "ClientTimeout"
	// ConnectionReset is a connection reset by the peer. client-go retries a GET
	// that meets one by itself.
	ConnectionReset Kind = "ConnectionReset"
)

// Kinds are all the kinds of fault, the default set of an Injector.
var Kinds = []Kind{Conflict, TooManyRequests, InternalError, ServiceUnavailable, Timeout, ClientTimeout, ConnectionReset}

// ParseKind reads the name of a kind.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown fault kind %q", s)
}

// fits reports whether the API server could answer a request of this verb with this
// kind of fault.
func (k Kind) fits(v Verb) bool {
	if k == Conflict {
		return v == Update || v == Patch || v == Delete
	}
	return true
}

// injectedMessage marks every injected fault, so a log shows which errors were ours.
const injectedMessage = "injected fault"

// answer is what the transport returns for the fault: a response with a Status body,
// or a transport error. retryAfter is the Retry-After of a 429, in seconds.
func (k Kind) answer(req *http.Request, r request, retryAfter int) (*http.Response, error) {
	var status *apierrors.StatusError
	switch k {
	case Conflict:
		status = apierrors.NewConflict(r.resource, r.name, errors.New(injectedMessage+": the object has been modified; please apply your changes to the latest version and try again"))
	case TooManyRequests:
		status = apierrors.NewTooManyRequests(injectedMessage+": too many requests, please try again later", retryAfter)
	case InternalError:
		status = apierrors.NewInternalError(errors.New(injectedMessage))
	case ServiceUnavailable:
		status = apierrors.NewServiceUnavailable(injectedMessage + ": the server is shutting down")
	case Timeout:
		status = apierrors.NewTimeoutError(injectedMessage+": the request did not complete within the allowed duration", 0)
	case ClientTimeout:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
	case ConnectionReset:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: injected{os.NewSyscallError("read", syscall.ECONNRESET)}}
	default:
		return nil, fmt.Errorf("unknown fault kind %q", k)
	}
	header := http.Header{"Content-Type": {"application/json"}}
	if k == TooManyRequests {
		header.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	return statusResponse(req, status.ErrStatus, header)
}

// statusResponse is an HTTP response carrying st as the API server encodes it.
func statusResponse(req *http.Request, st metav1.Status, header http.Header) (*http.Response, error) {
	st.APIVersion, st.Kind = "v1", "Status"
	body, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the injected status: %w", err)
	}
	code := int(st.Code)
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// timeoutError is the error of a read that timed out, as net.Conn returns it.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout (" + injectedMessage + ")" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// injected marks a transport error as injected and keeps what it wraps visible to
// errors.As (utilnet.IsConnectionReset looks for the errno).
type injected struct{ err error }

func (e injected) Error() string { return e.err.Error() + " (" + injectedMessage + ")" }
func (e injected) Unwrap() error { return e.err }
