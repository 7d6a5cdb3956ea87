package controller

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// operatorConditions are the condition types the operator sets itself; every other
// type is the engine's status mapping's.
var operatorConditions = []string{
	dbaasv1.ReconciledCondition,
	dbaasv1.ReconcilingCondition,
	dbaasv1.StalledCondition,
	dbaasv1.BackupHealthyCondition,
}

// dropUnreported removes the engine's conditions that its status mapping no longer
// reports (postgresql's TLSReady once spec.tls.issuerRef is gone), so that none
// outlives what it described.
func dropUnreported(conditions *[]metav1.Condition, reported []metav1.Condition) {
	for _, c := range slices.Clone(*conditions) {
		if slices.Contains(operatorConditions, c.Type) {
			continue
		}
		if !slices.ContainsFunc(reported, func(r metav1.Condition) bool { return r.Type == c.Type }) {
			meta.RemoveStatusCondition(conditions, c.Type)
		}
	}
}
