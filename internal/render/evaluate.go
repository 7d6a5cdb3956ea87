package render

import (
	"encoding/json"
	"fmt"

	"cuelang.org/go/cue"
)

// ObjectRef names one object the engine wants to read.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// Precondition is one thing that must hold before the children are applied.
type Precondition struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Requires returns the objects the engine reads before rendering, by key.
func (e *Engine) Requires(in Input) (map[string]ObjectRef, error) {
	var refs map[string]ObjectRef
	err := e.decode(in, "requires", &refs)
	return refs, err
}

// Preconditions evaluates the engine's preconditions; in.Context.Lookups must hold
// the objects Requires named.
func (e *Engine) Preconditions(in Input) ([]Precondition, error) {
	var pre []Precondition
	err := e.decode(in, "preconditions", &pre)
	return pre, err
}

// Retained returns the keys of the objects kept under deletionPolicy Retain.
func (e *Engine) Retained(in Input) ([]string, error) {
	var keys []string
	err := e.decode(in, "cleanup.retain", &keys)
	return keys, err
}

// Status maps the observed children, by key, onto the engine's status.result.
func (e *Engine) Status(in Input, observed map[string]map[string]any) (map[string]any, error) {
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	obs, err := json.Marshal(observed)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the observed children: %w", err)
	}
	key := memoKey("status\x00"+string(obs), b)
	if r, ok := e.memo.get(key); ok {
		return r.(map[string]any), nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	v, err := e.fill(b)
	if err != nil {
		return nil, err
	}
	v = v.FillPath(observedPath, e.ctx.CompileBytes(obs))
	var result map[string]any
	if err := v.LookupPath(resultPath).Decode(&result); err != nil {
		return nil, fmt.Errorf("engine %s: cannot map the status: %s", e.Name, describe(err))
	}
	e.memo.put(key, result)
	return result, nil
}

// decode evaluates one optional field of the engine for the input; an absent field
// leaves out untouched. Results are memoized like renders, as JSON, so that the
// requires and preconditions of a steady-state reconcile cost a hash.
func (e *Engine) decode(in Input, field string, out any) error {
	b, err := in.encode()
	if err != nil {
		return err
	}
	key := memoKey("field\x00"+field, b)
	if r, ok := e.memo.get(key); ok {
		if r == nil {
			return nil
		}
		return json.Unmarshal(r.([]byte), out)
	}
	data, err := e.evaluateField(b, field)
	if err != nil {
		return err
	}
	if data == nil {
		e.memo.put(key, nil)
		return nil
	}
	e.memo.put(key, data)
	return json.Unmarshal(data, out)
}

// evaluateField returns the JSON of one field of the engine for the input, or nil
// when the field is absent.
func (e *Engine) evaluateField(input []byte, field string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, err := e.fill(input)
	if err != nil {
		return nil, err
	}
	f := v.LookupPath(cue.ParsePath(field))
	if !f.Exists() {
		return nil, nil
	}
	data, err := f.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("engine %s: cannot evaluate %s: %s", e.Name, field, describe(err))
	}
	return data, nil
}
