package webhook

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// TestLimiterKeepsNamespacesApart: a namespace flooding the webhook holds at most its
// share of the slots; the others' requests get theirs at once, and the flood's
// surplus is refused with 429 after the short wait rather than queued until the
// API server times it out.
func TestLimiterKeepsNamespacesApart(t *testing.T) {
	const wait = 100 * time.Millisecond
	l := NewLimiter(2, 1, wait)
	ctx := context.Background()

	// The flooding namespace holds its one slot...
	hold, err := l.Acquire(ctx, "flood")
	if err != nil {
		t.Fatal(err)
	}
	// ...and 50 more of its requests arrive at once.
	var wg sync.WaitGroup
	refused := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			release, err := l.Acquire(ctx, "flood")
			if err != nil {
				refused <- err
				return
			}
			release()
		})
	}

	// Another namespace's request is admitted without waiting for the flood.
	start := time.Now()
	release, err := l.Acquire(ctx, "quiet")
	if err != nil {
		t.Fatalf("a quiet namespace's request: %v", err)
	}
	if took := time.Since(start); took > wait/2 {
		t.Errorf("a quiet namespace's request waited %s behind the flood", took)
	}
	release()

	wg.Wait()
	close(refused)
	n := 0
	for err := range refused {
		n++
		if !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), "namespace flood has 1 admission requests being evaluated already") {
			t.Errorf("refusal %v, want 429 naming the namespace", err)
		}
	}
	if n != 50 {
		t.Errorf("%d of the flood's requests refused, want all 50 while its slot is held", n)
	}
	hold()
	if got := l.busyNamespaces(); got != 0 {
		t.Errorf("%d namespaces remembered once every request left, want 0", got)
	}
}

// TestLimiterBoundsTheTotal: beyond the total, a request waits until its admission
// times out, then is refused as unavailable; a released slot serves the next one.
func TestLimiterBoundsTheTotal(t *testing.T) {
	l := NewLimiter(2, 2, time.Second)
	a, err := l.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Acquire(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx, "c"); !apierrors.IsServiceUnavailable(err) {
		t.Errorf("a third request with two slots: %v, want 503 once its admission times out", err)
	}
	a()
	c, err := l.Acquire(context.Background(), "c")
	if err != nil {
		t.Fatalf("a request after a slot was released: %v", err)
	}
	b()
	c()
	if got := l.busyNamespaces(); got != 0 {
		t.Errorf("%d namespaces remembered once every request left, want 0", got)
	}
}

// TestValidatorRefusesBusyNamespace: the DatabaseCluster webhook refuses a request of
// a namespace whose slots are taken with 429, and serves the other namespaces.
func TestValidatorRefusesBusyNamespace(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimiter(4, 1, 50*time.Millisecond)
	v := &DatabaseClusterValidator{Providers: &provider.Factory{Registry: reg, Admission: true}, Registry: reg, Limiter: l}
	newCluster := func(ns, name string) *dbaasv1.DatabaseCluster {
		c := cluster("postgresql", "16")
		c.ObjectMeta = metav1.ObjectMeta{Name: name, Namespace: ns}
		return c
	}

	hold, err := l.Acquire(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.ValidateCreate(context.Background(), newCluster("shop", "a"))
	if !apierrors.IsTooManyRequests(err) {
		t.Fatalf("create in a busy namespace: %v, want 429", err)
	}
	if _, err := v.ValidateCreate(context.Background(), newCluster("other", "b")); err != nil {
		t.Fatalf("create in another namespace: %v", err)
	}
	hold()
	if _, err := v.ValidateCreate(context.Background(), newCluster("shop", "a")); err != nil {
		t.Fatalf("create once the namespace's slot is free: %v", err)
	}

}
