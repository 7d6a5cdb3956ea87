package apply

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// Owned lists the objects of the given kinds in namespace that carry the labels and
// were created by owner: controlled by it, or labelled with its UID (the children
// that hold data carry no owner reference, so that the garbage collector never
// deletes them).
func Owned(ctx context.Context, c client.Reader, kinds []schema.GroupVersionKind, namespace string, labels map[string]string, owner types.UID) ([]*unstructured.Unstructured, error) {
	all, err := Labelled(ctx, c, kinds, namespace, labels)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, item := range all {
		ref := metav1.GetControllerOfNoCopy(item)
		if (ref != nil && ref.UID == owner) || (owner != "" && item.GetLabels()[dbaasv1.ClusterUIDLabel] == string(owner)) {
			out = append(out, item)
		}
	}
	return out, nil
}

// Prune deletes the objects of observed that are not in keep (by ObjectKey of kind).
// It returns what it deleted.
func (a *Applier) Prune(ctx context.Context, observed []*unstructured.Unstructured, keep map[Ref]bool) ([]Ref, error) {
	var deleted []Ref
	var errs []error
	for _, o := range observed {
		ref := RefOf(o)
		if keep[ref] {
			continue
		}
		if err := a.Client.Delete(ctx, o, client.Preconditions{UID: ptr.To(o.GetUID())}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("cannot prune %s: %w", ref, err))
			continue
		}
		a.Forget(o.GetUID())
		deleted = append(deleted, ref)
	}
	return deleted, errors.Join(errs...)
}

// Ref identifies an object within one namespace.
type Ref struct {
	Kind string
	Name string
}

func (r Ref) String() string { return r.Kind + "/" + r.Name }

// RefOf returns the Ref of u.
func RefOf(u *unstructured.Unstructured) Ref {
	return Ref{Kind: u.GroupVersionKind().GroupKind().String(), Name: u.GetName()}
}

// Labelled lists the objects of the given kinds in namespace that carry the labels,
// whoever owns them. A kind the API server does not serve has no objects: it is
// skipped, so that a cluster whose add-on kind (a PodMonitor) has no CRD, or whose
// child operator was removed, is still observed, reported and deleted.
func Labelled(ctx context.Context, c client.Reader, kinds []schema.GroupVersionKind, namespace string, labels map[string]string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, gvk := range kinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels(labels))
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot list %s: %w", gvk.Kind, err)
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}
