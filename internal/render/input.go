package render

import (
	"encoding/json"
	"fmt"

	"cuelang.org/go/cue"
)

// Input is what the operator fills into an engine's `input` before evaluating it.
type Input struct {
	// Cluster is the DatabaseCluster: apiVersion, kind, metadata (name, namespace,
	// labels, annotations) and spec. Status and server-set metadata are left out so
	// that they do not change the render.
	Cluster map[string]any `json:"cluster"`
	// Context holds what the operator looked up for the engine.
	Context Context `json:"context"`
}

// Context is input.context.
type Context struct {
	// Lookups are the objects the engine's `requires` named, by key; a missing object
	// has no entry. Secret values are blanked: engines see the keys, never the data.
	Lookups map[string]map[string]any `json:"lookups"`
	// OneShots are the one-shot children recorded in the cluster's status, by key:
	// "Created" or "Completed".
	OneShots map[string]string `json:"oneShots,omitempty"`
}

var (
	inputPath    = cue.ParsePath("input")
	resultPath   = cue.ParsePath("status.result")
	resolvedPath = cue.ParsePath("resolved")
	oneShotPath  = cue.ParsePath("oneShot")
	// secretDataPath is the engine's secretData.
	secretDataPath = cue.ParsePath("secretData")
)

// encode turns the input into JSON once: the JSON is both the memo key and what is
// compiled into the engine.
func (in Input) encode() ([]byte, error) {
	if in.Context.Lookups == nil {
		in.Context.Lookups = map[string]map[string]any{}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the engine input: %w", err)
	}
	return b, nil
}

// fill returns the instance's lean package (without operations) with input filled
// in. Callers hold the instance.
func (e *Engine) fill(inst *instance, inputJSON []byte) (cue.Value, error) {
	pkg, err := inst.renderPackage()
	if err != nil {
		return cue.Value{}, err
	}
	return e.fillInto(inst, pkg, inputJSON)
}

// filling is a JSON document an evaluation fills in beside the input: the observed
// children and backups of a status mapping, an operation's input.
type filling struct {
	// path is where it goes, e.g. status, observed.
	path []string
	data []byte
}

// fillInto returns v, a value of inst, with input and the other documents filled
// in. They are compiled as one document and unified with v once: each unification
// with the package makes CUE evaluate all of it again, so filling the input, the
// observed children and the backups one after the other cost three evaluations of
// the engine instead of one. Callers hold the instance.
func (e *Engine) fillInto(inst *instance, v cue.Value, inputJSON []byte, more ...filling) (cue.Value, error) {
	e.shared.fills.Add(1)
	doc := map[string]any{}
	for _, f := range append([]filling{{path: []string{"input"}, data: inputJSON}}, more...) {
		into := doc
		for _, p := range f.path[:len(f.path)-1] {
			next, ok := into[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				into[p] = next
			}
			into = next
		}
		into[f.path[len(f.path)-1]] = json.RawMessage(f.data)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return cue.Value{}, fmt.Errorf("cannot encode the engine input: %w", err)
	}
	in, err := CompileJSON(inst.ctx, "engine input", b)
	if err != nil {
		return cue.Value{}, err
	}
	v = v.Unify(in)
	if err := v.LookupPath(inputPath).Err(); err != nil {
		return cue.Value{}, fmt.Errorf("engine %s refuses the input: %s", e.Name, describe(err))
	}
	return v, nil
}
