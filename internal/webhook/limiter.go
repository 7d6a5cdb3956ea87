package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Limiter bounds the admission evaluations (an engine's render or operation, the
// policy, the reads they need) that run at once: in all, so a burst leaves CPU to
// the reconcilers, and per namespace, so a flood of requests from one namespace
// (server-side dry-runs in a loop) cannot make the others wait until the API server
// times their admission out. A request first waits, briefly, for a slot of its
// namespace, holding nothing; then for one of the total, until its admission times
// out. The slots of all namespaces but the flooding one stay within reach.
type Limiter struct {
	total        chan struct{}
	perNamespace int
	wait         time.Duration

	mu         sync.Mutex
	namespaces map[string]*namespaceSlots // namespaces with requests in or waiting
}

// namespaceSlots are one namespace's slots and how many requests hold or await one.
type namespaceSlots struct {
	slots chan struct{}
	users int
}

// NewLimiter evaluates at most total admission requests at once, at most
// perNamespace of them from one namespace; a request waits at most wait for its
// namespace's turn before it is refused with 429 Too Many Requests.
func NewLimiter(total, perNamespace int, wait time.Duration) *Limiter {
	total, perNamespace = max(total, 1), max(perNamespace, 1)
	return &Limiter{
		total:        make(chan struct{}, total),
		perNamespace: min(perNamespace, total),
		wait:         wait,
		namespaces:   map[string]*namespaceSlots{},
	}
}

// Acquire waits for a slot of namespace (at most the limiter's wait) and for one of
// the total (until ctx ends), and returns the function that gives both back. A nil
// Limiter limits nothing.
func (l *Limiter) Acquire(ctx context.Context, namespace string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	ns := l.enter(namespace)
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case ns.slots <- struct{}{}:
	case <-timer.C:
		l.leave(namespace, ns)
		return nil, apierrors.NewTooManyRequests(fmt.Sprintf(
			"namespace %s has %d admission requests being evaluated already and more waiting; retry later", namespace, l.perNamespace), 1)
	case <-ctx.Done():
		l.leave(namespace, ns)
		return nil, apierrors.NewTooManyRequests(fmt.Sprintf("the admission request timed out waiting for namespace %s's turn", namespace), 1)
	}
	select {
	case l.total <- struct{}{}:
	case <-ctx.Done():
		<-ns.slots
		l.leave(namespace, ns)
		return nil, apierrors.NewServiceUnavailable("the operator is busy: the admission request timed out waiting for its turn")
	}
	return func() {
		<-l.total
		<-ns.slots
		l.leave(namespace, ns)
	}, nil
}

// enter counts a request of namespace in, making its slots if it has none.
func (l *Limiter) enter(namespace string) *namespaceSlots {
	l.mu.Lock()
	defer l.mu.Unlock()
	ns := l.namespaces[namespace]
	if ns == nil {
		ns = &namespaceSlots{slots: make(chan struct{}, l.perNamespace)}
		l.namespaces[namespace] = ns
	}
	ns.users++
	return ns
}

// leave counts a request of namespace out, forgetting the namespace's slots when no
// request holds or awaits one, so the map holds only busy namespaces.
func (l *Limiter) leave(namespace string, ns *namespaceSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ns.users--; ns.users == 0 {
		delete(l.namespaces, namespace)
	}
}

// busyNamespaces is how many namespaces have requests in or waiting, for tests.
func (l *Limiter) busyNamespaces() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.namespaces)
}
