package render

import (
	"encoding/json"
	"fmt"
	"time"

	"cuelang.org/go/cue"
)

// ObjectRef names one object the engine wants to read.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// Fields are the dotted paths of the object the engine reads, such as
	// spec.imageName; the operator passes only those. Empty: the whole object.
	Fields []string `json:"fields,omitempty"`
}

// Precondition is one thing that must hold before the children are applied.
type Precondition struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Requires returns the objects the engine reads before rendering, by key.
func (e *Engine) Requires(in Input) (map[string]ObjectRef, error) {
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	ev, err := e.evaluate(b)
	if err != nil {
		return nil, err
	}
	var refs map[string]ObjectRef
	return refs, unmarshalField(ev.requires, &refs)
}

// Preconditions evaluates the engine's preconditions; in.Context.Lookups must hold
// the objects Requires named.
func (e *Engine) Preconditions(in Input) ([]Precondition, error) {
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	ev, err := e.evaluate(b)
	if err != nil {
		return nil, err
	}
	if ev.preconditionsErr != nil {
		return nil, ev.preconditionsErr
	}
	var pre []Precondition
	return pre, unmarshalField(ev.preconditions, &pre)
}

// evaluation is what a reconcile reads from the lean package for one input: the
// requires, the preconditions and the render of every stage. Filling the input in
// evaluates the whole package, so the three are read from one filled value whatever
// the caller asked for: a webhook's render answers the reconcile's requires, and
// when the lookups find nothing (a new cluster's own child) its preconditions and
// render too.
type evaluation struct {
	// requires and preconditions are JSON, nil when the engine has no such field.
	requires, preconditions []byte
	preconditionsErr        error
	result                  *Result
	renderErr               error
}

// evaluate returns the evaluation of the input, memoized.
func (e *Engine) evaluate(input []byte) (*evaluation, error) {
	key := memoKey("evaluation", input)
	if r, ok := e.ev.recall(key); ok {
		return r.(*evaluation), nil
	}
	r, err := e.bounded(key, func(inst *instance) (any, error) {
		defer e.timed(stageRender, time.Now())
		v, err := e.fill(inst, input)
		if err != nil {
			return nil, err
		}
		ev := &evaluation{}
		if ev.requires, err = e.fieldJSON(v, "requires"); err != nil {
			return nil, err
		}
		ev.preconditions, ev.preconditionsErr = e.fieldJSON(v, "preconditions")
		ev.result, ev.renderErr = e.renderValue(v, Stages)
		e.ev.memo.Add(key, ev)
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*evaluation), nil
}

// unmarshalField decodes a field's JSON; an absent field (nil) leaves out untouched.
func unmarshalField(data []byte, out any) error {
	if data == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// Status maps the observed children, by key, and the cluster's backup objects,
// newest first, onto the engine's status.result.
func (e *Engine) Status(in Input, observed map[string]map[string]any, backups []map[string]any) (map[string]any, error) {
	ev, err := e.status(in, observed, backups)
	if err != nil {
		return nil, err
	}
	return ev.result, nil
}

// FinishedOneShots returns the keys of the one-shot children whose done predicate
// holds over the observed children, sorted. It shares Status's evaluation.
func (e *Engine) FinishedOneShots(in Input, observed map[string]map[string]any, backups []map[string]any) ([]string, error) {
	if len(e.OneShots) == 0 {
		return nil, nil
	}
	ev, err := e.status(in, observed, backups)
	if err != nil {
		return nil, err
	}
	return ev.finished, nil
}

// statusEvaluation is what one evaluation of the status mapping yields.
type statusEvaluation struct {
	result   map[string]any
	finished []string
}

// status evaluates the status mapping and the one-shots' done predicates for the
// input, the observed children and the backups, memoized.
func (e *Engine) status(in Input, observed map[string]map[string]any, backups []map[string]any) (*statusEvaluation, error) {
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	obs, err := json.Marshal(observed)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the observed children: %w", err)
	}
	if backups == nil {
		backups = []map[string]any{}
	}
	bk, err := json.Marshal(backups)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the backups: %w", err)
	}
	key := memoKey("status", obs, bk, b)
	if r, ok := e.ev.recall(key); ok {
		return r.(*statusEvaluation), nil
	}
	r, err := e.bounded(key, func(inst *instance) (any, error) {
		defer e.timed(stageStatus, time.Now())
		pkg, err := inst.statusPackage()
		if err != nil {
			return nil, err
		}
		v, err := e.fillInto(inst, pkg, b,
			filling{path: []string{"status", "observed"}, data: obs},
			filling{path: []string{"status", "backups"}, data: bk})
		if err != nil {
			return nil, err
		}
		ev := &statusEvaluation{}
		result := v.LookupPath(resultPath)
		// An incomplete value would decode as null, silently dropping part of the
		// status: it is an error of the mapping.
		if err := result.Validate(cue.Concrete(true)); err != nil {
			return nil, fmt.Errorf("engine %s: cannot map the status: %s", e.Name, describe(err))
		}
		if err := result.Decode(&ev.result); err != nil {
			return nil, fmt.Errorf("engine %s: cannot map the status: %s", e.Name, describe(err))
		}
		for _, k := range e.OneShots {
			done, err := v.LookupPath(oneShotPath.Append(cue.Str(k), cue.Str("done"))).Bool()
			if err != nil {
				return nil, fmt.Errorf("engine %s: cannot evaluate oneShot.%s.done: %s", e.Name, k, describe(err))
			}
			if done {
				ev.finished = append(ev.finished, k)
			}
		}
		e.ev.memo.Add(key, ev)
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*statusEvaluation), nil
}

// fieldJSON returns the JSON of one field of a filled engine, or nil when the field
// is absent.
func (e *Engine) fieldJSON(v cue.Value, field string) ([]byte, error) {
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
