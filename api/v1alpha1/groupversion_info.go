// Package v1alpha1 holds the DatabaseCluster and OpsRequest API of the dbaas.io group.
//
// These types are the source of the CRDs in config/crd/bases and of the CUE schema in
// schemas/api. They name no child operator: engines map them onto child resources.
//
// +kubebuilder:object:generate=true
// +groupName=dbaas.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "dbaas.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
