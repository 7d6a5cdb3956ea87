package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"cuelang.org/go/cue"
)

// OpsInput is what the operator fills into an engine's `ops` to evaluate an
// operation.
type OpsInput struct {
	// Request is the OpsRequest as JSON.
	Request map[string]any `json:"request"`
	// Observed are the cluster's children by key, with status.
	Observed map[string]map[string]any `json:"observed"`
	// Created are the objects the operation created, by name, with status.
	Created map[string]map[string]any `json:"created"`
	// Lookups are the objects the operation's observe named, by name.
	Lookups map[string]map[string]any `json:"lookups"`
}

// Operation is an operation evaluated for one OpsRequest and what it observes now.
type Operation struct {
	Invalid    []string           `json:"invalid"`
	SpecPatch  map[string]any     `json:"specPatch,omitempty"`
	Actions    []Action           `json:"actions"`
	Observe    map[string]Target  `json:"observe,omitempty"`
	Milestones map[string]bool    `json:"milestones,omitempty"`
	Done       bool               `json:"done"`
	Failed     bool               `json:"failed"`
	Message    string             `json:"message,omitempty"`
	Progress   *OperationProgress `json:"progress,omitempty"`
	// Rollback is the engine's safe way back, evaluated with the cluster as it is
	// before the operation; nil when there is none.
	Rollback *Rollback `json:"rollback,omitempty"`
}

// Rollback undoes a declarative operation: a JSON merge patch of the
// DatabaseCluster spec that restores the fields the operation's spec patch changes.
type Rollback struct {
	SpecPatch map[string]any `json:"specPatch"`
}

// OperationProgress counts an operation's steps.
type OperationProgress struct {
	Current int `json:"current"`
	Total   int `json:"total"`
}

// Action is one imperative step.
type Action struct {
	Name   string         `json:"name"`
	Patch  *PatchAction   `json:"patch,omitempty"`
	Create map[string]any `json:"create,omitempty"`
	Delete *Target        `json:"delete,omitempty"`
	// Password writes a password the operator generates into a Secret.
	Password *PasswordAction `json:"password,omitempty"`
}

// PasswordAction writes a new password into a Secret's key, and into the keys
// derived from it in place of the old one.
type PasswordAction struct {
	Target  Target   `json:"target"`
	Key     string   `json:"key"`
	Derived []string `json:"derived,omitempty"`
}

// PatchAction is a JSON merge patch of an object or its status.
type PatchAction struct {
	Target      Target         `json:"target"`
	Subresource string         `json:"subresource,omitempty"`
	Merge       map[string]any `json:"merge"`
	// AppliedWhen is what the target holds once the patch landed; nil: the merge
	// patch itself.
	AppliedWhen map[string]any `json:"appliedWhen,omitempty"`
}

// Target is a child by key, or an object by kind and name.
type Target struct {
	Key        string `json:"key,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
}

// HasOperation reports whether the engine defines the operation type.
func (e *Engine) HasOperation(opType string) bool {
	return slices.Contains(e.Operations, opType)
}

// OperationTimeout is how long an operation of the type may wait and run when its
// OpsRequest sets no timeout (the engine's defaultTimeoutSeconds).
func (e *Engine) OperationTimeout(opType string) time.Duration {
	if s, ok := e.DefaultTimeouts[opType]; ok {
		return time.Duration(s) * time.Second
	}
	return defaultOperationTimeout
}

// defaultOperationTimeout is the timeout of an operation type the engine loaded
// without (#Operation gives every type one).
const defaultOperationTimeout = time.Hour

// readOperationDefaults reads what each operation declares for every input:
// queue and defaultTimeoutSeconds. engine is the package unified with #Engine, so
// the contract's defaults apply; both must not depend on the input.
func (e *Engine) readOperationDefaults(engine cue.Value) error {
	ops := engine.LookupPath(cue.ParsePath("operations"))
	if !ops.Exists() {
		return nil
	}
	it, err := ops.Fields()
	if err != nil {
		return fmt.Errorf("cannot read operations: %s", describe(err))
	}
	e.Unqueued, e.DefaultTimeouts = map[string]bool{}, map[string]int64{}
	for it.Next() {
		name := it.Selector().Unquoted()
		q, err := it.Value().LookupPath(cue.ParsePath("queue")).Bool()
		if err != nil {
			return fmt.Errorf("operation %s: queue must be a bool that does not depend on the input: %s", name, describe(err))
		}
		e.Unqueued[name] = !q
		t, err := it.Value().LookupPath(cue.ParsePath("defaultTimeoutSeconds")).Int64()
		if err != nil {
			return fmt.Errorf("operation %s: defaultTimeoutSeconds must be an int that does not depend on the input: %s", name, describe(err))
		}
		e.DefaultTimeouts[name] = t
	}
	return nil
}

// Operation evaluates operations[opType] with the cluster (including its status) in
// input and the OpsRequest and observed objects in ops.
func (e *Engine) Operation(in Input, ops OpsInput, opType string) (*Operation, error) {
	if !e.HasOperation(opType) {
		return nil, fmt.Errorf("engine %s has no operation %s", e.Name, opType)
	}
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	if ops.Observed == nil {
		ops.Observed = map[string]map[string]any{}
	}
	if ops.Created == nil {
		ops.Created = map[string]map[string]any{}
	}
	if ops.Lookups == nil {
		ops.Lookups = map[string]map[string]any{}
	}
	opsJSON, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the operation input: %w", err)
	}
	key := memoKey("operation\x00"+opType, opsJSON, b)
	if r, ok := e.ev.recall(key); ok {
		out := *r.(*Operation)
		return &out, nil
	}
	r, err := e.bounded(key, func(inst *instance) (any, error) {
		defer e.timed(stageOperation, time.Now())
		pkg, err := inst.operationsPackage()
		if err != nil {
			return nil, err
		}
		v, err := e.fillInto(inst, pkg, b, filling{path: []string{"ops"}, data: opsJSON})
		if err != nil {
			return nil, err
		}
		op := v.LookupPath(cue.MakePath(cue.Str("operations"), cue.Str(opType)))
		out := &Operation{}
		if err := op.Decode(out); err != nil {
			return nil, fmt.Errorf("engine %s, operation %s: %s", e.Name, opType, describe(err))
		}
		// The reconcile that follows an operation's own status write evaluates the same
		// input again. Callers get a copy of the memoized struct; they must not change
		// the maps and slices it shares.
		e.ev.memo.Add(key, out)
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	out := *r.(*Operation)
	return &out, nil
}
