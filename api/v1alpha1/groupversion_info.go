// Package v1alpha1 holds the DatabaseCluster, OpsRequest and BackupStorage API of the dbaas.io group.
//
// These types are the source of the CRDs in config/crd/bases and of the CUE schema in
// schemas/api. They name no child operator: engines map them onto child resources.
//
// +kubebuilder:object:generate=true
// +groupName=dbaas.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "dbaas.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers the kinds of this group version.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &DatabaseCluster{}, &DatabaseClusterList{}, &OpsRequest{}, &OpsRequestList{}, &BackupStorage{}, &BackupStorageList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
