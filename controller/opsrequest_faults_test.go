package controller_test

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// faults wraps a client so that chosen requests fail: each rule fails the next n
// calls of a verb on a kind with its error, as a throttled or failing API server
// would. It also counts the calls that went through, by verb and kind.
type faults struct {
	mu    sync.Mutex
	rules []*fault
	// passed counts the calls sent on to the API server that succeeded, by
	// "verb kind".
	passed sync.Map
	// conflicts counts the calls the API server refused with a conflict.
	conflicts atomic.Int64
}

// fault fails n calls of verb (get, create, patch, delete, status-patch,
// status-update) on kind.
type fault struct {
	verb, kind string
	n          int
	err        error
}

// fail adds a rule.
func (f *faults) fail(verb, kind string, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &fault{verb: verb, kind: kind, n: n, err: err})
}

// inject returns the error of the first rule that still fails verb on obj's kind.
func (f *faults) inject(verb string, obj client.Object) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.verb == verb && r.kind == kindOf(obj) && r.n > 0 {
			r.n--
			return r.err
		}
	}
	return nil
}

// count records a call that went through.
func (f *faults) count(verb string, obj client.Object, err error) error {
	if apierrors.IsConflict(err) {
		f.conflicts.Add(1)
	}
	if err == nil {
		n, _ := f.passed.LoadOrStore(verb+" "+kindOf(obj), new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	return err
}

// calls returns how many calls of verb on kind succeeded.
func (f *faults) calls(verb, kind string) int64 {
	n, ok := f.passed.Load(verb + " " + kind)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// client wraps c, indexed.
func (f *faults) client(c client.WithWatch) client.WithWatch {
	return interceptor.NewClient(indexed(c), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := f.inject("get", obj); err != nil {
				return err
			}
			return c.Get(ctx, key, obj, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := f.inject("create", obj); err != nil {
				return err
			}
			return f.count("create", obj, c.Create(ctx, obj, opts...))
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := f.inject("patch", obj); err != nil {
				return err
			}
			return f.count("patch", obj, c.Patch(ctx, obj, patch, opts...))
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := f.inject("delete", obj); err != nil {
				return err
			}
			return f.count("delete", obj, c.Delete(ctx, obj, opts...))
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := f.inject("status-update", obj); err != nil {
				return err
			}
			return f.count("status-update", obj, c.SubResource(sub).Update(ctx, obj, opts...))
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := f.inject("status-patch", obj); err != nil {
				return err
			}
			return f.count("status-patch", obj, c.SubResource(sub).Patch(ctx, obj, patch, opts...))
		},
	})
}

// kindOf names an object's kind: an unstructured one's, or its Go type's.
func kindOf(obj client.Object) string {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.GetKind()
	}
	return reflect.TypeOf(obj).Elem().Name()
}
