package v1alpha1

// Condition types of a DatabaseCluster.
const (
	// ReadyCondition is True when the database serves clients: the child is healthy.
	ReadyCondition = "Ready"
	// ReconciledCondition is True when the rendered children were applied as they are.
	ReconciledCondition = "Reconciled"
	// ProgressingCondition is True while the child converges to a changed spec.
	ProgressingCondition = "Progressing"
	// DegradedCondition is True when the child serves with fewer instances than wanted.
	DegradedCondition = "Degraded"
)

// Reasons of the Reconciled condition.
const (
	// AppliedReason: every rendered object was applied.
	AppliedReason = "Applied"
	// EngineNotFoundReason: spec.engine names no loaded engine.
	EngineNotFoundReason = "EngineNotFound"
	// RenderFailedReason: the engine's CUE failed to render; children are untouched.
	RenderFailedReason = "RenderFailed"
	// PolicyDeniedReason: a policy refused the cluster; children are untouched.
	PolicyDeniedReason = "PolicyDenied"
	// ApplyFailedReason: the API server refused a rendered object.
	ApplyFailedReason = "ApplyFailed"
	// PreconditionNotMetReason: something the engine needs first is missing.
	PreconditionNotMetReason = "PreconditionNotMet"
	// PausedReason: spec.paused is set, so the operator leaves the children alone.
	PausedReason = "Paused"
	// StatusMappingFailedReason: the engine's status mapping failed.
	StatusMappingFailedReason = "StatusMappingFailed"
)

// Finalizer is the finalizer the operator puts on every DatabaseCluster so it can run
// the engine's cleanup and honour spec.deletionPolicy.
const Finalizer = "dbaas.io/cleanup"

// Labels the operator sets on every child object.
const (
	// ClusterLabel names the DatabaseCluster a child belongs to.
	ClusterLabel = "dbaas.io/cluster"
	// EngineLabel names the engine that rendered a child.
	EngineLabel = "dbaas.io/engine"
	// ManagedByLabel is app.kubernetes.io/managed-by.
	ManagedByLabel = "app.kubernetes.io/managed-by"
)

// Annotations the operator sets on every child object.
const (
	// KeyAnnotation is the key the engine gave the child among its rendered objects;
	// status mapping and cleanup find children by it.
	KeyAnnotation = "dbaas.io/key"
	// RetainedAnnotation marks a child kept after its DatabaseCluster was deleted with
	// deletionPolicy Retain.
	RetainedAnnotation = "dbaas.io/retained-from"
)
