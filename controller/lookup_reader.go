package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// lookupReader reads the objects an engine requires: those of a kind the operator
// watches (its children, DatabaseClusters) from the cache, any other (a Secret)
// from the API server, so that no informer, holding every object of its kind in
// the cluster, is started for a kind of which the operator reads a handful.
type lookupReader struct {
	cached, live client.Reader
	watched      map[schema.GroupKind]bool
}

func (l lookupReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if l.watched[obj.GetObjectKind().GroupVersionKind().GroupKind()] {
		return l.cached.Get(ctx, key, obj, opts...)
	}
	return l.live.Get(ctx, key, obj, opts...)
}

func (l lookupReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return l.live.List(ctx, list, opts...)
}
