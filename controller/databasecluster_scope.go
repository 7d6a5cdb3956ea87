package controller

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// clusterScope carries what the phases of one DatabaseCluster reconcile discover.
// Each field says which phase sets it.
type clusterScope struct {
	// cluster is the object being reconciled; its status is written once at the end.
	cluster *dbaasv1.DatabaseCluster
	// original is the cluster as read, to skip the status write when nothing changed.
	original *dbaasv1.DatabaseCluster

	// provider is the cluster's engine (loadEngine).
	provider provider.Provider
	// prepared is the engine input with the required lookups (prepare).
	prepared *provider.Prepared
	// observed are the children the cluster controls now (observe).
	observed []*unstructured.Unstructured
	// result is what the engine rendered (render).
	result *render.Result

	// reconciled is the outcome for the Reconciled condition; the first phase that
	// fails or halts sets it, and later phases are skipped.
	reconciled *outcome
}

// outcome is a Reconciled condition to report.
type outcome struct {
	ok      bool
	reason  string
	message string
}

// halted reports whether a phase stopped the reconcile.
func (s *clusterScope) halted() bool { return s.reconciled != nil && !s.reconciled.ok }

// halt stops the remaining phases with a Reconciled=False reason and message.
func (s *clusterScope) halt(reason, message string) {
	s.reconciled = &outcome{reason: reason, message: message}
}
