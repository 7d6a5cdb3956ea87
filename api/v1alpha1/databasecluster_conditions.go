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
	// ReconcilingCondition is True until the cluster is Ready at its current spec:
	// kstatus (Flux, kpt) reads it as "in progress".
	ReconcilingCondition = "Reconciling"
	// StalledCondition is True when the cluster cannot make progress without a
	// user's action (a render or policy failure, data the operator refuses to
	// touch): kstatus reads it as "failed".
	StalledCondition = "Stalled"
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
	// DataBearingChildDroppedReason: the engine no longer renders a child that holds
	// data; it is kept and nothing is applied until the user decides.
	DataBearingChildDroppedReason = "DataBearingChildDropped"
	// DataBearingChildMissingReason: a child that held data was deleted by someone
	// else; it is re-created only once the user acknowledges it.
	DataBearingChildMissingReason = "DataBearingChildMissing"
	// TakeOverRefusedReason: an object the engine renders exists already and was
	// not created by this cluster; the operator leaves it untouched.
	TakeOverRefusedReason = "TakeOverRefused"
	// ReadFailedReason: reading what the engine requires, or what an operation
	// needs, failed. A cluster retries; an operation fails when retrying does not
	// cure the error (forbidden, invalid).
	ReadFailedReason = "ReadFailed"
)

// Reasons of the Ready condition that the operator sets over the engine's.
const (
	// BindingIncompleteReason: the child is ready but the binding Secret lacks a key
	// the engine declares, whose source Secret the child operator has not written
	// yet; the application has nothing to connect with.
	BindingIncompleteReason = "BindingIncomplete"
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
	// ClusterUIDLabel is the UID of the DatabaseCluster that created a child. It is
	// written with the child, so a child the operator created is known as its own
	// even before it is recorded in status, and an object someone else created never
	// is (no take-over).
	ClusterUIDLabel = "dbaas.io/cluster-uid"
)

// Annotations the operator sets on every child object.
const (
	// KeyAnnotation is the key the engine gave the child among its rendered objects;
	// status mapping and cleanup find children by it.
	KeyAnnotation = "dbaas.io/key"
	// RetainedAnnotation marks a child kept after its DatabaseCluster was deleted with
	// deletionPolicy Retain.
	RetainedAnnotation = "dbaas.io/retained-from"
	// RecreateDeletedAnnotation, set on a DatabaseCluster to the UID of a child that
	// held data and was deleted by someone else, acknowledges the loss: the operator
	// then creates the child again. Any other value changes nothing.
	RecreateDeletedAnnotation = "dbaas.io/recreate-deleted"
)
