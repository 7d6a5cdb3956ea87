package v1alpha1

// Condition types of an OpsRequest.
const (
	// OpsProgressingCondition is True while the operation runs.
	OpsProgressingCondition = "Progressing"
	// OpsQueuedCondition is True while the operation waits for an earlier one.
	OpsQueuedCondition = "Queued"
	// OpsSucceededCondition is True once the operation succeeded, False once it
	// failed, timed out or was cancelled.
	OpsSucceededCondition = "Succeeded"
)

// Reasons of OpsRequest conditions and of failed phases.
const (
	// ClusterNotFoundReason: spec.clusterRef names no DatabaseCluster.
	ClusterNotFoundReason = "ClusterNotFound"
	// ClusterReplacedReason: the DatabaseCluster the operation was for was deleted
	// and another one created under its name (status.clusterUID differs).
	ClusterReplacedReason = "ClusterReplaced"
	// ClusterDeletingReason: a pending operation's DatabaseCluster is being deleted.
	ClusterDeletingReason = "ClusterDeleting"
	// ClusterPausedReason: the operation waits while the DatabaseCluster has
	// spec.paused.
	ClusterPausedReason = "ClusterPaused"
	// EngineErrorReason: the engine failed to evaluate the operation (a CUE error).
	EngineErrorReason = "EngineError"
	// UnsupportedReason: the cluster's engine does not define the operation type.
	UnsupportedReason = "Unsupported"
	// InvalidParametersReason: the engine refused the operation's parameters.
	InvalidParametersReason = "InvalidParameters"
	// ActionFailedReason: a step of the plan (the spec patch or an action) failed with
	// an error that retrying does not cure.
	ActionFailedReason = "ActionFailed"
	// OperationFailedReason: the child reported the operation failed.
	OperationFailedReason = "OperationFailed"
	// TimedOutReason: the operation waited or ran longer than its timeout.
	TimedOutReason = "TimedOut"
	// CancelledReason: spec.cancel was set while the operation was pending, or while
	// it ran and its rollback was applied.
	CancelledReason = "Cancelled"
	// CancelRefusedReason: spec.cancel was set on a running operation the engine
	// declares no way back for.
	CancelRefusedReason = "CancelRefused"
	// WaitingReason: the operation waits in the cluster's queue.
	WaitingReason = "WaitingInQueue"
	// RunningReason: the operation runs.
	RunningReason = "Running"
	// SucceededReason: the operation finished successfully.
	SucceededReason = "Succeeded"
	// DryRunReason: a dry run finished; status.plan holds the steps it would take,
	// none taken.
	DryRunReason = "DryRun"
)

// Labels set on the objects an operation creates.
const (
	// OpsRequestLabel names the OpsRequest that created an object.
	OpsRequestLabel = "dbaas.io/opsrequest"
	// OpsRequestUIDLabel is the UID of the OpsRequest that created an object: an
	// operation finds what it created by it, never by name, so a new OpsRequest that
	// reuses an old one's name does not take the old one's objects for its own.
	OpsRequestUIDLabel = "dbaas.io/opsrequest-uid"
)

// PasswordRotatedByAnnotation is written, with the OpsRequest's UID, in the same
// patch as a new password (a Password step): the record that the step ran, which a
// retry reads instead of generating a second password.
const PasswordRotatedByAnnotation = "dbaas.io/password-rotated-by"

// PasswordSHA256Annotation is written with a new password: its hex SHA-256, the form
// in which a child operator that records the password it applied (Percona's
// percona.com/<cluster>-<user>-hash) says so, for an engine to compare without
// seeing the password.
const PasswordSHA256Annotation = "dbaas.io/password-sha256"

// Finished reports whether the phase is final.
func (p OpsPhase) Finished() bool {
	switch p {
	case OpsSucceeded, OpsFailed, OpsCancelled, OpsTimedOut:
		return true
	}
	return false
}

// MaxOpsActions bounds status.actions: the oldest entries are dropped, except the
// ones an operation's state depends on (Applied and Reached).
const MaxOpsActions = 50
