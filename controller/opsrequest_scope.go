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
	// ops is the OpsRequest; its status is written at the end of the reconcile, and
	// before each step (commit).
	ops *dbaasv1.OpsRequest
	// original is the OpsRequest as last read or written, to skip a status write with
	// no change.
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
	// read, proving the read fresh enough to execute the operation (commit).
	fenced bool
	// force makes the next status write go out even when nothing changed (fence).
	force bool
	// fresh are the steps this reconcile marked Started itself: they have not run,
	// so they run without checking the live target first (plan, execute).
	fresh map[int]bool
}

// child returns the observed child with the given key, or nil.
func (s *opsScope) child(key string) *unstructured.Unstructured {
	for _, o := range s.observed {
		if o.GetAnnotations()[dbaasv1.KeyAnnotation] == key {
			return o
		}
	}
	return nil
}
