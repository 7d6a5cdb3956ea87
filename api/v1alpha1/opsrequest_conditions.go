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
	// UnsupportedReason: the cluster's engine does not define the operation type.
	UnsupportedReason = "Unsupported"
	// InvalidParametersReason: the engine refused the operation's parameters.
	InvalidParametersReason = "InvalidParameters"
	// ActionFailedReason: applying the spec patch or an action failed.
	ActionFailedReason = "ActionFailed"
	// OperationFailedReason: the child reported the operation failed.
	OperationFailedReason = "OperationFailed"
	// TimedOutReason: the operation ran longer than spec.timeoutSeconds.
	TimedOutReason = "TimedOut"
	// CancelledReason: spec.cancel was set while the operation was pending.
	CancelledReason = "Cancelled"
	// WaitingReason: the operation waits in the cluster's queue.
	WaitingReason = "WaitingInQueue"
	// RunningReason: the operation runs.
	RunningReason = "Running"
	// SucceededReason: the operation finished successfully.
	SucceededReason = "Succeeded"
)

// Labels set on the objects an operation creates.
const (
	// OpsRequestLabel names the OpsRequest that created an object.
	OpsRequestLabel = "dbaas.io/opsrequest"
)

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
