package operator

import (
	"context"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
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

// typedOwnKinds is the manager's client, but for reads of DatabaseClusters and
// OpsRequests as unstructured objects (a clone source, the clusters an operation
// created): those go through the typed informer the controllers run anyway, so the
// cache keeps one copy of each kind instead of a typed and an unstructured one.
type typedOwnKinds struct {
	client.Client
}

func (c typedOwnKinds) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u.GroupVersionKind().Group != dbaasv1.GroupVersion.Group {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	typed, err := c.Scheme().New(u.GroupVersionKind())
	if err != nil {
		return c.Client.Get(ctx, key, obj, opts...)
	}
	if err := c.Client.Get(ctx, key, typed.(client.Object), opts...); err != nil {
		return err
	}
	return toUnstructured(typed, u)
}

func (c typedOwnKinds) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	u, ok := list.(*unstructured.UnstructuredList)
	if !ok || u.GroupVersionKind().Group != dbaasv1.GroupVersion.Group {
		return c.Client.List(ctx, list, opts...)
	}
	typed, err := c.Scheme().New(u.GroupVersionKind())
	if err != nil {
		return c.Client.List(ctx, list, opts...)
	}
	if err := c.Client.List(ctx, typed.(client.ObjectList), opts...); err != nil {
		return err
	}
	items, err := meta.ExtractList(typed)
	if err != nil {
		return err
	}
	itemGVK := u.GroupVersionKind()
	itemGVK.Kind = strings.TrimSuffix(itemGVK.Kind, "List")
	u.Items = make([]unstructured.Unstructured, len(items))
	for i, item := range items {
		u.Items[i].SetGroupVersionKind(itemGVK)
		if err := toUnstructured(item, &u.Items[i]); err != nil {
			return err
		}
	}
	return nil
}

// toUnstructured converts a typed object into u, keeping u's apiVersion and kind.
func toUnstructured(typed runtime.Object, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return err
	}
	u.Object = m
	u.SetGroupVersionKind(gvk)
	return nil
}

// servedOrLive reads the namespaces the operator serves from its cache and any other
// from the API server. The webhooks admit the requests of the whole fleet (the API
// server calls one webhook service, whichever shard serves it), but a shard's cache
// holds only its namespaces and refuses a read of another one.
type servedOrLive struct {
	cached, live client.Reader
	// served are the namespaces the cache holds.
	served map[string]bool
}

// newServedOrLive returns cached itself when the operator serves every namespace.
func newServedOrLive(cached, live client.Reader, namespaces []string) client.Reader {
	if len(namespaces) == 0 {
		return cached
	}
	served := make(map[string]bool, len(namespaces))
	for _, ns := range namespaces {
		served[ns] = true
	}
	return servedOrLive{cached: cached, live: live, served: served}
}

func (r servedOrLive) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return r.reader(key.Namespace).Get(ctx, key, obj, opts...)
}

func (r servedOrLive) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	var o client.ListOptions
	o.ApplyOptions(opts)
	return r.reader(o.Namespace).List(ctx, list, opts...)
}

// reader is the cache for a served namespace and for "": a cluster-scoped object, or
// a list over every namespace, which the cache answers with the served ones.
func (r servedOrLive) reader(namespace string) client.Reader {
	if namespace == "" || r.served[namespace] {
		return r.cached
	}
	return r.live
}
