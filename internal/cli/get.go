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
	dbc := &dbaasv1.DatabaseCluster{}
	return dbc, f.getNamed(ctx, "DatabaseCluster", name, dbc)
}

// getOps reads the OpsRequest of the namespace.
func (f *factory) getOps(ctx context.Context, name string) (*dbaasv1.OpsRequest, error) {
	ops := &dbaasv1.OpsRequest{}
	return ops, f.getNamed(ctx, "OpsRequest", name, ops)
}

// getNamed reads the object of kind named name in the namespace into obj; not found
// says where it looked.
func (f *factory) getNamed(ctx context.Context, kind, name string, obj client.Object) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	ns, err := f.namespace()
	if err != nil {
		return err
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in namespace %s", kind, name, ns)
	} else if err != nil {
		return fmt.Errorf("cannot read %s %s: %w", kind, name, err)
	}
	return nil
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
