package cli

import (
	"context"
	"fmt"
	"sort"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// getCluster reads the DatabaseCluster of the namespace; not found says where it
// looked.
func (f *factory) getCluster(ctx context.Context, name string) (*dbaasv1.DatabaseCluster, error) {
	c, err := f.client()
	if err != nil {
		return nil, err
	}
	ns, err := f.namespace()
	if err != nil {
		return nil, err
	}
	dbc := &dbaasv1.DatabaseCluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, dbc); apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("DatabaseCluster %s not found in namespace %s", name, ns)
	} else if err != nil {
		return nil, fmt.Errorf("cannot read DatabaseCluster %s: %w", name, err)
	}
	return dbc, nil
}

// getOps reads the OpsRequest of the namespace.
func (f *factory) getOps(ctx context.Context, name string) (*dbaasv1.OpsRequest, error) {
	c, err := f.client()
	if err != nil {
		return nil, err
	}
	ns, err := f.namespace()
	if err != nil {
		return nil, err
	}
	ops := &dbaasv1.OpsRequest{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ops); apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("OpsRequest %s not found in namespace %s", name, ns)
	} else if err != nil {
		return nil, fmt.Errorf("cannot read OpsRequest %s: %w", name, err)
	}
	return ops, nil
}

// opsOf lists the OpsRequests of a namespace, of one cluster when cluster is not
// empty, newest last.
func (f *factory) opsOf(ctx context.Context, namespace, cluster string) ([]dbaasv1.OpsRequest, error) {
	c, err := f.client()
	if err != nil {
		return nil, err
	}
	var list dbaasv1.OpsRequestList
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return nil, fmt.Errorf("cannot list OpsRequests: %w", err)
	}
	var out []dbaasv1.OpsRequest
	for _, o := range list.Items {
		if cluster == "" || o.Spec.ClusterRef == cluster {
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].CreationTimestamp, out[j].CreationTimestamp
		if a.Equal(&b) {
			return out[i].Name < out[j].Name
		}
		return a.Before(&b)
	})
	return out, nil
}

// eventsOf lists the Events about one object, oldest first.
func (f *factory) eventsOf(ctx context.Context, namespace, kind, name string) ([]eventsv1.Event, error) {
	c, err := f.client()
	if err != nil {
		return nil, err
	}
	var list eventsv1.EventList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("cannot list Events: %w", err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
	return out, nil
}
