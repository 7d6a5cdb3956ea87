package provider

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// orphan removes the cluster's owner reference from u and marks it as retained, so
// garbage collection keeps it once the cluster is gone.
func orphan(ctx context.Context, c client.Client, cluster *dbaasv1.DatabaseCluster, u *unstructured.Unstructured) error {
	var refs []metav1.OwnerReference
	for _, r := range u.GetOwnerReferences() {
		if r.UID != cluster.UID {
			refs = append(refs, r)
		}
	}
	if len(refs) == len(u.GetOwnerReferences()) && u.GetAnnotations()[dbaasv1.RetainedAnnotation] != "" {
		return nil
	}
	patched := u.DeepCopy()
	patched.SetOwnerReferences(refs)
	annotations := patched.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[dbaasv1.RetainedAnnotation] = cluster.Name
	patched.SetAnnotations(annotations)
	labels := patched.GetLabels()
	delete(labels, dbaasv1.ClusterLabel)
	patched.SetLabels(labels)
	if err := c.Patch(ctx, patched, client.MergeFrom(u)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot orphan %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}
