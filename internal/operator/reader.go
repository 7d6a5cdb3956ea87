package operator

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheThenLive reads from the cache, and from the API server what the cache does
// not have (yet): the policy reads the labels of a cluster's namespace at every
// decision, and a namespace created a moment ago, with its tier label, must not
// read as absent.
type cacheThenLive struct {
	cached, live client.Reader
}

func (r cacheThenLive) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	err := r.cached.Get(ctx, key, obj, opts...)
	if apierrors.IsNotFound(err) {
		return r.live.Get(ctx, key, obj, opts...)
	}
	return err
}

func (r cacheThenLive) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.cached.List(ctx, list, opts...)
}

// watchedFromCache reads the objects an engine requires: those of a kind the
// operator watches (its children, DatabaseClusters) from the cache, any other (a
// Secret) from the API server, so that no informer, holding every object of its kind
// in the cluster, is started for a kind of which the operator reads a handful. The
// cache holds only the objects labelled with a cluster: one it does not hold (a
// backup someone else took) is read from the API server too.
type watchedFromCache struct {
	cached, live client.Reader
	watched      map[schema.GroupKind]bool
}

func (r watchedFromCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if r.watched[obj.GetObjectKind().GroupVersionKind().GroupKind()] {
		return cacheThenLive{cached: r.cached, live: r.live}.Get(ctx, key, obj, opts...)
	}
	return r.live.Get(ctx, key, obj, opts...)
}

func (r watchedFromCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.live.List(ctx, list, opts...)
}
