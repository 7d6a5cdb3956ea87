// Package provider is the seam between the generic controllers and an engine. The
// controllers call these interfaces; the one implementation evaluates a CUE engine
// package, so no engine knowledge lives in Go.
package provider

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/render"
)

// Provider is one engine as the controllers see it.
type Provider interface {
	// Name is the spec.engine value of the engine.
	Name() string
	// Engine is the compiled engine, for its catalog, kinds and digest.
	Engine() *render.Engine
	// PreReconcileHook reads the objects the engine requires and evaluates its
	// preconditions. Unmet preconditions are returned, not errors: the controller
	// reports them and retries.
	PreReconcileHook(ctx context.Context, c client.Reader, cluster *dbaasv1.DatabaseCluster) (*Prepared, error)
	// GetApplier starts a render of the prepared cluster, stage by stage.
	GetApplier(p *Prepared) (Applier, error)
	// Status maps the observed children and the cluster's backup objects (newest
	// first) onto the cluster's status.
	Status(p *Prepared, observed, backups []*unstructured.Unstructured) (*Status, error)
	// Operations returns the engine's day-2 operations.
	Operations() OperationsHandler
}

// Applier renders the child objects one stage at a time, then returns them all.
type Applier interface {
	Metadata() error
	Engine() error
	Proxy() error
	Monitoring() error
	Scheduling() error
	Backup() error
	DataSource() error
	GetResult() (*render.Result, error)
}

// OperationsHandler is the engine's set of day-2 operations.
type OperationsHandler interface {
	// Types lists the OpsRequest types the engine defines.
	Types() []string
	// Queued reports whether an operation type waits in the cluster's queue.
	Queued(opType string) bool
	// Evaluate evaluates the operation of an OpsRequest against the cluster (with its
	// status), its children, the objects the operation created and the objects its
	// observe named (nil on a first evaluation).
	Evaluate(cluster *dbaasv1.DatabaseCluster, ops *dbaasv1.OpsRequest, observed, created []*unstructured.Unstructured, lookups map[string]*unstructured.Unstructured) (*render.Operation, error)
}

// Prepared is a cluster ready to render: its engine input, with what the engine
// required already looked up.
type Prepared struct {
	Cluster *dbaasv1.DatabaseCluster
	Input   render.Input
	// Unmet are the preconditions that do not hold.
	Unmet []render.Precondition
	// Missing are the objects the engine requires that do not exist, by key.
	Missing map[string]render.ObjectRef
}

// Requires reports whether the engine required u and did not find it: once it
// exists, the engine's render may change.
func (p *Prepared) Requires(u *unstructured.Unstructured) bool {
	for _, ref := range p.Missing {
		if ref.Kind == u.GetKind() && ref.Name == u.GetName() && ref.APIVersion == u.GetAPIVersion() {
			return true
		}
	}
	return false
}

// Status is what the engine's status mapping reports.
type Status struct {
	dbaasv1.DatabaseClusterStatus
	// Conditions are the engine's Ready, Progressing and Degraded conditions, without
	// times; the controller stamps them.
	Conditions []metav1.Condition
	// FinishedOneShots are the keys of the one-shot children that finished.
	FinishedOneShots []string
}

// ReadError is a failure to read what an engine requires: transient, so the
// controller retries it with backoff instead of reporting a render failure.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Kinds returns the child kinds of an engine.
func Kinds(p Provider) []schema.GroupVersionKind { return p.Engine().Kinds }
