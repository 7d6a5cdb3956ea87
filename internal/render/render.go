package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Object is one rendered child object and the key the engine gave it.
type Object struct {
	Key    string
	Object *unstructured.Unstructured
}

// Resolved are the defaults the engine chose for the cluster.
type Resolved struct {
	Version string `json:"version"`
	Image   string `json:"image"`
}

// Result is what an engine rendered for one cluster. Results are memoized and
// shared: deep-copy an object before changing it.
type Result struct {
	// Objects are sorted by key.
	Objects  []Object
	Resolved Resolved
	// SecretData are the values to copy into rendered Secrets, by object key and data
	// key (the engine's secretData); nil when the engine copies none.
	SecretData map[string]map[string]SecretKeyRef
}

// SecretKeyRef is one key of a Secret in the cluster's namespace.
type SecretKeyRef struct {
	Secret string `json:"secret"`
	Key    string `json:"key"`
	// URI, when set, is the text the value is put into: every "{value}" in it is
	// replaced by the value, percent-encoded as a URI's userinfo requires.
	URI string `json:"uri,omitempty"`
}

// Session renders one cluster stage by stage. Stages are recorded by Apply and
// evaluated together by Result, on one of the engine's instances.
type Session struct {
	engine *Engine
	input  []byte
	stages []Stage
}

// NewSession starts a render of the given input.
func (e *Engine) NewSession(in Input) (*Session, error) {
	b, err := in.encode()
	if err != nil {
		return nil, err
	}
	return &Session{engine: e, input: b}, nil
}

// Apply adds a stage's objects to the render.
func (s *Session) Apply(stage Stage) {
	s.stages = append(s.stages, stage)
}

// Result evaluates the applied stages and returns the objects. An identical input
// and stage list returns the memoized result without evaluating anything.
func (s *Session) Result() (*Result, error) {
	if slices.Equal(s.stages, Stages) {
		ev, err := s.engine.evaluate(s.input)
		if err != nil {
			return nil, err
		}
		return ev.result, ev.renderErr
	}
	key := memoKey(fmt.Sprint("render", s.stages), s.input)
	if r, ok := s.engine.ev.recall(key); ok {
		return r.(*Result), nil
	}
	return s.engine.render(key, s.input, s.stages)
}

// Render evaluates every stage for the input.
func (e *Engine) Render(in Input) (*Result, error) {
	s, err := e.NewSession(in)
	if err != nil {
		return nil, err
	}
	for _, st := range Stages {
		s.Apply(st)
	}
	return s.Result()
}

// render evaluates some of the stages for the input and memoizes the result under
// key.
func (e *Engine) render(key [32]byte, input []byte, stages []Stage) (*Result, error) {
	r, err := e.bounded(key, func(inst *instance) (any, error) {
		defer e.timed(stageRender, time.Now())
		v, err := e.fill(inst, input)
		if err != nil {
			return nil, err
		}
		r, err := e.renderValue(v, stages)
		if err != nil {
			return nil, err
		}
		e.ev.memo.Add(key, r)
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*Result), nil
}

// renderValue unifies the objects of the stages of a filled engine, in order.
func (e *Engine) renderValue(v cue.Value, stages []Stage) (*Result, error) {
	var acc cue.Value
	var contributed []Stage
	for _, st := range stages {
		objs := stageObjects(v, st)
		if !objs.Exists() {
			continue
		}
		if len(contributed) == 0 {
			acc = objs
		} else {
			acc = acc.Unify(objs)
		}
		contributed = append(contributed, st)
	}
	if len(contributed) == 0 {
		return nil, fmt.Errorf("engine %s rendered no stage", e.Name)
	}
	data, err := acc.MarshalJSON()
	if err != nil {
		return nil, e.blame(v, contributed, err)
	}
	var objects map[string]map[string]any
	if err := json.Unmarshal(data, &objects); err != nil {
		return nil, fmt.Errorf("cannot decode the rendered objects: %w", err)
	}
	r := &Result{}
	if err := v.LookupPath(resolvedPath).Decode(&r.Resolved); err != nil {
		return nil, fmt.Errorf("engine %s: cannot resolve the version and image: %s", e.Name, describe(err))
	}
	if sd := v.LookupPath(secretDataPath); sd.Exists() {
		if err := sd.Decode(&r.SecretData); err != nil {
			return nil, fmt.Errorf("engine %s: cannot evaluate secretData: %s", e.Name, describe(err))
		}
	}
	for key, obj := range objects {
		u := &unstructured.Unstructured{Object: obj}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("engine %s: object %q needs apiVersion, kind and metadata.name", e.Name, key)
		}
		r.Objects = append(r.Objects, Object{Key: key, Object: u})
	}
	for key := range r.SecretData {
		if u, ok := objects[key]; !ok || u["apiVersion"] != "v1" || u["kind"] != "Secret" {
			return nil, fmt.Errorf("engine %s: secretData.%s names no rendered Secret", e.Name, key)
		}
	}
	if err := checkBinding(e, objects, r.SecretData); err != nil {
		return nil, err
	}
	sort.Slice(r.Objects, func(i, j int) bool { return r.Objects[i].Key < r.Objects[j].Key })
	return r, nil
}

// blame finds the first stage whose objects, unified with the stages before it, no
// longer evaluate, so the error names the stage to fix. It runs only on failure.
func (e *Engine) blame(v cue.Value, stages []Stage, cause error) error {
	var acc cue.Value
	for i, st := range stages {
		objs := stageObjects(v, st)
		if err := objs.Validate(); err != nil {
			return &StageError{Engine: e.Name, Stage: st, Err: err}
		}
		if i == 0 {
			acc = objs
		} else {
			acc = acc.Unify(objs)
		}
		if err := acc.Validate(); err != nil {
			return &StageError{Engine: e.Name, Stage: st, Err: err}
		}
	}
	// Every stage is consistent but something is left open: blame the stage that
	// owns the incomplete field, found by checking concreteness stage by stage.
	for _, st := range stages {
		objs := stageObjects(v, st)
		if err := objs.Validate(cue.Concrete(true)); err != nil {
			return &StageError{Engine: e.Name, Stage: st, Err: err}
		}
	}
	return &StageError{Engine: e.Name, Stage: stages[len(stages)-1], Err: cause}
}

// stageObjects returns stages.<stage>.objects of a filled engine.
func stageObjects(v cue.Value, st Stage) cue.Value {
	return v.LookupPath(cue.MakePath(cue.Str("stages"), cue.Str(string(st)), cue.Str("objects")))
}
