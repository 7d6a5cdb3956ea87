package webhook

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// existing reads the object of kind gvk named name in namespace; nil when there is
// none. A kind the API server does not serve has no objects: what would create one
// fails later, with the child operator's CRD named.
func existing(ctx context.Context, r client.Reader, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	switch {
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("cannot read %s %s: %w", gvk.Kind, name, err)
	}
	return u, nil
}

// madeBy says where an existing object comes from, for a message that tells the user
// whose object is in the way.
func madeBy(u *unstructured.Unstructured) string {
	if ref := metav1.GetControllerOfNoCopy(u); ref != nil {
		return fmt.Sprintf("it belongs to %s %s", ref.Kind, ref.Name)
	}
	if from := u.GetAnnotations()[dbaasv1.RetainedAnnotation]; from != "" {
		return fmt.Sprintf("it was retained when DatabaseCluster %s was deleted with deletionPolicy Retain", from)
	}
	if ops := u.GetLabels()[dbaasv1.OpsRequestLabel]; ops != "" {
		return fmt.Sprintf("OpsRequest %s created it", ops)
	}
	if fields := u.GetManagedFields(); len(fields) > 0 && fields[0].Manager != "" {
		return fmt.Sprintf("%s created it", fields[0].Manager)
	}
	return "the operator did not create it"
}

// describe names an object as kubectl does: kind.group/name.
func describe(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	if gvk.Group == "" {
		return fmt.Sprintf("%s/%s", gvk.Kind, u.GetName())
	}
	return fmt.Sprintf("%s.%s/%s", gvk.Kind, gvk.Group, u.GetName())
}
