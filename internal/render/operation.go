package render

import (
	"encoding/json"
	"fmt"
	"slices"

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
}

// PatchAction is a JSON merge patch of an object or its status.
type PatchAction struct {
	Target      Target         `json:"target"`
	Subresource string         `json:"subresource,omitempty"`
	Merge       map[string]any `json:"merge"`
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
	if r, ok := e.memo.Get(key); ok {
		out := *r.(*Operation)
		return &out, nil
	}
	inst := e.instances.acquire()
	defer e.instances.release(inst)
	v, err := e.fillInto(inst, inst.value, b)
	if err != nil {
		return nil, err
	}
	opsValue, err := CompileJSON(inst.ctx, "operation input", opsJSON)
	if err != nil {
		return nil, err
	}
	v = v.FillPath(opsPath, opsValue)
	op := v.LookupPath(cue.MakePath(cue.Str("operations"), cue.Str(opType)))
	out := &Operation{}
	if err := op.Decode(out); err != nil {
		return nil, fmt.Errorf("engine %s, operation %s: %s", e.Name, opType, describe(err))
	}
	// The reconcile that follows an operation's own status write evaluates the same
	// input again. Callers get a copy of the memoized struct; they must not change
	// the maps and slices it shares.
	memoized := *out
	e.memo.Add(key, &memoized)
	return out, nil
}
