package provider

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// Child is a rendered object as the operator applies it: in the cluster's namespace,
// labelled and annotated so the operator finds it again, and controlled by the
// cluster (when the cluster has a UID, i.e. exists in the API server).
func Child(cluster *dbaasv1.DatabaseCluster, key string, rendered *unstructured.Unstructured) *unstructured.Unstructured {
	u := rendered.DeepCopy()
	u.SetNamespace(cluster.Namespace)
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[dbaasv1.ClusterLabel] = cluster.Name
	labels[dbaasv1.EngineLabel] = cluster.Spec.Engine
	labels[dbaasv1.ManagedByLabel] = "dbaas-operator"
	u.SetLabels(labels)
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[dbaasv1.KeyAnnotation] = key
	u.SetAnnotations(annotations)
	if cluster.UID != "" {
		u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(cluster, dbaasv1.GroupVersion.WithKind("DatabaseCluster"))})
	}
	return u
}
