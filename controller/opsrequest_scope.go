package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// opsScope carries what the phases of one OpsRequest reconcile discover. Each field
// says which step sets it.
type opsScope struct {
	// ops is the OpsRequest; its status is written once at the end.
	ops *dbaasv1.OpsRequest
	// original is the OpsRequest as read, to skip a status write with no change.
	original *dbaasv1.OpsRequest
	// cluster is the DatabaseCluster the operation acts on (loadCluster).
	cluster *dbaasv1.DatabaseCluster
	// provider is the cluster's engine (loadCluster).
	provider provider.Provider
	// observed are the cluster's children; created, the objects this operation
	// created (observe).
	observed, created []*unstructured.Unstructured
	// operation is the engine's evaluation of the operation (evaluate).
	operation *render.Operation
	// startTime is the start time a pending operation is about to be given; it is
	// evaluated with it, so the evaluation still holds once the time is written
	// (reconcilePending).
	startTime *metav1.Time
	// logged are the actions recorded during this reconcile, mirrored as Events.
	logged []dbaasv1.OpsAction
	// fenced is true once this reconcile wrote the status with the resourceVersion it
	// read, proving the read fresh enough to execute the operation (fence).
	fenced bool
}
