package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// OpsPlan is what an operation does, evaluated from the engine once, when it starts,
// and written to the OpsRequest's status before anything is changed. An operator
// that restarts, or retries after an error, executes the recorded plan; it never
// evaluates the steps again, so a choice the engine made (a switchover target) holds.
type OpsPlan struct {
	// Steps run in order: the DatabaseCluster spec patch of a declarative operation,
	// then the engine's actions.
	// +optional
	Steps []OpsStep `json:"steps,omitempty"`
	// Rollback patches the DatabaseCluster spec back to what it was before the
	// operation; spec.cancel runs it. Absent when the engine declares no safe way back
	// for the operation type.
	// +optional
	Rollback *OpsStep `json:"rollback,omitempty"`
}

// Applied reports whether every step of the plan is done.
func (p *OpsPlan) Applied() bool {
	if p == nil {
		return false
	}
	for _, s := range p.Steps {
		if s.State != OpsStepDone {
			return false
		}
	}
	return true
}

// OpsStepAction is what a step does to its target.
// +kubebuilder:validation:Enum=Patch;Create;Delete;Password
type OpsStepAction string

// The step actions.
const (
	// OpsStepPatch applies a JSON merge patch to the target, or to its status.
	OpsStepPatch OpsStepAction = "Patch"
	// OpsStepCreate creates the target.
	OpsStepCreate OpsStepAction = "Create"
	// OpsStepDelete deletes the target.
	OpsStepDelete OpsStepAction = "Delete"
	// OpsStepPassword writes a new password, which the operator generates, into the
	// target Secret.
	OpsStepPassword OpsStepAction = "Password"
)

// OpsStepState is how far a step got.
// +kubebuilder:validation:Enum=Pending;Started;Done
type OpsStepState string

// The step states.
const (
	// OpsStepPending: the step has not run.
	OpsStepPending OpsStepState = "Pending"
	// OpsStepStarted: the step may have run. Before it runs again the live target is
	// checked: a change that landed already is not made a second time.
	OpsStepStarted OpsStepState = "Started"
	// OpsStepDone: the step ran, or was found done.
	OpsStepDone OpsStepState = "Done"
)

// OpsStep is one change an operation makes, with its target resolved to one object.
type OpsStep struct {
	// Name says what the step does.
	Name string `json:"name"`
	// Action is Patch, Create, Delete or Password.
	Action OpsStepAction `json:"action"`
	// Target is the object the step acts on, with the UID it had when the plan was
	// made (for a Create, the UID of the object once created). A target with another
	// UID is another object: it is neither patched nor deleted.
	Target OpsTarget `json:"target"`
	// Subresource "status" patches the target's status.
	// +optional
	Subresource string `json:"subresource,omitempty"`
	// Patch is the JSON merge patch of a Patch step.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Patch *runtime.RawExtension `json:"patch,omitempty"`
	// AppliedWhen tells that a Patch step that may have run did land: the live target
	// holds every field it gives (null: the field is absent). Default: the patch.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	AppliedWhen *runtime.RawExtension `json:"appliedWhen,omitempty"`
	// Object is what a Create step creates, labelled with the OpsRequest's UID
	// (dbaas.io/opsrequest-uid): an object of that name without the label is not
	// this operation's, and the step fails rather than adopt it.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Object *runtime.RawExtension `json:"object,omitempty"`
	// Password is what a Password step writes into its target Secret.
	// +optional
	Password *OpsPasswordStep `json:"password,omitempty"`
	// State is Pending, Started or Done.
	State OpsStepState `json:"state"`
	// Message says what the step did.
	// +optional
	Message string `json:"message,omitempty"`
}

// OpsTarget names one object in the OpsRequest's namespace.
type OpsTarget struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// UID is the object's UID; empty for an object still to be created.
	// +optional
	UID types.UID `json:"uid,omitempty"`
}

// OpsPasswordStep writes a new password into a Secret that a child operator reads.
// The password is generated when the step runs and written in one patch with the
// annotation dbaas.io/password-rotated-by (the OpsRequest's UID): a step that may
// have run finds that annotation and does not generate a second password. The
// password is never recorded here, in an Event or in a log.
type OpsPasswordStep struct {
	// Key is the Secret's data key that holds the password.
	Key string `json:"key"`
	// Derived are other data keys that carry the password (a connection URI, a
	// pgpass line): the old password in them, as is or escaped for a URI, is replaced
	// by the new one.
	// +optional
	Derived []string `json:"derived,omitempty"`
}
