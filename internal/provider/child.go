package provider

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// Child is a rendered object as the operator applies it: in the cluster's namespace,
// labelled (with the cluster's name and UID) and annotated so the operator finds it
// again, and controlled by the cluster (when the cluster has a UID, i.e. exists in
// the API server) unless it is ownerless: the children that hold data, and those
// kept with them, carry no owner reference so that the garbage collector never
// deletes them, whatever the propagation of the cluster's deletion.
func Child(cluster *dbaasv1.DatabaseCluster, key string, rendered *unstructured.Unstructured, ownerless bool) *unstructured.Unstructured {
	u := rendered.DeepCopy()
	u.SetNamespace(cluster.Namespace)
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[dbaasv1.ClusterLabel] = cluster.Name
	labels[dbaasv1.EngineLabel] = cluster.Spec.Engine
	labels[dbaasv1.ManagedByLabel] = "dbaas-operator"
	if cluster.UID != "" {
		labels[dbaasv1.ClusterUIDLabel] = string(cluster.UID)
	}
	u.SetLabels(labels)
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[dbaasv1.KeyAnnotation] = key
	u.SetAnnotations(annotations)
	if cluster.UID != "" && !ownerless {
		u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(cluster, dbaasv1.GroupVersion.WithKind("DatabaseCluster"))})
	}
	return u
}

// IsOwn reports whether u is a child the cluster created: controlled by it, or
// labelled with its UID when it was created. An object someone else created is
// never its own, even with the same name.
func IsOwn(cluster *dbaasv1.DatabaseCluster, u *unstructured.Unstructured) bool {
	if ref := metav1.GetControllerOfNoCopy(u); ref != nil && ref.UID == cluster.UID {
		return true
	}
	return cluster.UID != "" && u.GetLabels()[dbaasv1.ClusterUIDLabel] == string(cluster.UID)
}
