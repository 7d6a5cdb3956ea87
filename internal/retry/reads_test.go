package retry

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// failing fails its first reads with errs, in turn, then succeeds.
type failing struct {
	errs  []error
	reads int
}

func (f *failing) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return f.next()
}

func (f *failing) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return f.next()
}

func (f *failing) next() error {
	f.reads++
	if f.reads <= len(f.errs) {
		return f.errs[f.reads-1]
	}
	return nil
}

func TestReadsReadsAgainWhatPasses(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	passing := []error{
		apierrors.NewInternalError(errors.New("injected")),
		apierrors.NewTooManyRequests("slow down", 1),
		apierrors.NewServiceUnavailable("unavailable"),
	}
	cases := []struct {
		name      string
		errs      []error
		wantReads int
		wantErr   bool
	}{
		{"passing errors, then a success", passing, 4, false},
		{"more passing errors than attempts", append(passing, apierrors.NewServerTimeout(gr, "get", 1)), readAttempts, true},
		{"not found is an answer", []error{apierrors.NewNotFound(gr, "x")}, 1, true},
		{"forbidden does not pass", []error{apierrors.NewForbidden(gr, "x", errors.New("no"))}, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &failing{errs: c.errs}
			r := retrying{r: f, attempts: readAttempts, wait: 0}
			err := r.Get(context.Background(), client.ObjectKey{Name: "x"}, &corev1.Pod{})
			if (err != nil) != c.wantErr {
				t.Errorf("error %v, want error: %v", err, c.wantErr)
			}
			if f.reads != c.wantReads {
				t.Errorf("%d reads, want %d", f.reads, c.wantReads)
			}
		})
	}
}

func TestReadsStopsWithTheRequest(t *testing.T) {
	f := &failing{errs: []error{apierrors.NewInternalError(errors.New("a")), apierrors.NewInternalError(errors.New("b"))}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := retrying{r: f, attempts: readAttempts, wait: firstRetryWait}
	if err := r.List(ctx, &corev1.PodList{}); err == nil {
		t.Fatal("a read of a cancelled request succeeded after a passing error")
	}
	if f.reads != 1 {
		t.Errorf("%d reads after the request ended, want 1", f.reads)
	}
}
