// Package simulate plays the child operators where none runs (tests and
// `dbaasctl dev --simulate`): it writes to each child's status subresource what the
// child operator would report, after creating what the child operator generates
// beside the child (the Secret with a user's password). What each engine's child
// operator does is data, in engines/<engine>/simulate; this package only evaluates
// it and writes. The operator binary never imports this package.
package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/apply"
	"dbaas.io/operator/internal/render"
)

var (
	childPath    = cue.ParsePath("child")
	foundPath    = cue.ParsePath("found")
	requiresPath = cue.ParsePath("requires")
	nowPath      = cue.ParsePath("now")
	scenarioPath = cue.ParsePath("scenario")
	statusPath   = cue.ParsePath("status")
	writesPath   = cue.ParsePath("writes")
)

// Simulator writes simulated child status.
type Simulator struct {
	client   client.Client
	registry *render.Registry

	mu      sync.Mutex // a cue.Context is not safe for concurrent use
	ctx     *cue.Context
	engines map[string]cue.Value
	// evaluations counts the children simulated, for tests of an idle simulator.
	evaluations atomic.Int64
}

// New loads the simulate package of every engine folder in fsys that has one. The
// client writes status, and reads for Cluster.
func New(c client.Client, registry *render.Registry, fsys fs.FS) (*Simulator, error) {
	s := &Simulator{client: c, registry: registry, ctx: cuecontext.New(), engines: map[string]cue.Value{}}
	dirs, err := fs.Glob(fsys, "*/simulate")
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		v, err := s.compile(fsys, dir)
		if err != nil {
			return nil, err
		}
		s.engines[path.Dir(dir)] = v
	}
	return s, nil
}

func (s *Simulator) compile(fsys fs.FS, dir string) (cue.Value, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.cue"))
	if err != nil {
		return cue.Value{}, err
	}
	inst := build.NewContext().NewInstance(dir, nil)
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return cue.Value{}, err
		}
		syntax, err := parser.ParseFile(f, src)
		if err != nil {
			return cue.Value{}, fmt.Errorf("cannot parse %s: %w", f, err)
		}
		if err := inst.AddSyntax(syntax); err != nil {
			return cue.Value{}, err
		}
	}
	v := s.ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("cannot compile %s: %w", dir, err)
	}
	return v, nil
}

// Cluster writes the scenario's status to every child of the named DatabaseCluster
// and returns how many children it wrote. It reads the cluster and its children
// from the API server.
func (s *Simulator) Cluster(ctx context.Context, namespace, name, scenario string) (int, error) {
	n, _, err := s.cluster(ctx, s.client, namespace, name, scenario)
	return n, err
}

// cluster simulates the children of a DatabaseCluster read through reader; it
// reports whether a child still lacks an object its child operator requires.
func (s *Simulator) cluster(ctx context.Context, reader client.Reader, namespace, name, scenario string) (int, bool, error) {
	cluster := &dbaasv1.DatabaseCluster{}
	if err := reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cluster); err != nil {
		return 0, false, err
	}
	engine, ok := s.registry.Get(cluster.Spec.Engine)
	if !ok {
		return 0, false, fmt.Errorf("engine %q is not loaded", cluster.Spec.Engine)
	}
	// The children, and what operations created for the cluster (a Backup): every
	// object of the engine's kinds labelled with the cluster.
	children, err := apply.Labelled(ctx, reader, engine.Kinds, namespace, map[string]string{dbaasv1.ClusterLabel: name})
	if err != nil {
		return 0, false, err
	}
	return s.children(ctx, reader, cluster.Spec.Engine, children, scenario)
}

// children plays each child and returns how many were written and whether one
// still lacks an object its child operator requires. A child that lacks one is
// played again after the others, which may write it (cert-manager the Secret that
// CloudNativePG waits for), so that one pass writes the state the child operators
// reach together.
func (s *Simulator) children(ctx context.Context, reader client.Reader, engine string, children []*unstructured.Unstructured, scenario string) (int, bool, error) {
	written := 0
	var errs []error
	var later []*unstructured.Unstructured
	for _, child := range children {
		o, err := s.child(ctx, reader, engine, child, scenario, false)
		switch {
		case err != nil:
			errs = append(errs, err)
		case o.waiting:
			later = append(later, child)
		case o.written:
			written++
		}
	}
	waiting := false
	for _, child := range later {
		o, err := s.child(ctx, reader, engine, child, scenario, true)
		if err != nil {
			errs = append(errs, err)
		}
		waiting = waiting || o.waiting
		if o.written {
			written++
		}
	}
	return written, waiting, errors.Join(errs...)
}

// Child writes the scenario's status to one child, after the objects the child
// operator writes beside it; it reports false for a kind the engine's simulation
// does not play.
func (s *Simulator) Child(ctx context.Context, engine string, child *unstructured.Unstructured, scenario string) (bool, error) {
	o, err := s.child(ctx, s.client, engine, child, scenario, true)
	return o.written, err
}

// outcome is what playing one child did.
type outcome struct {
	// written: the child's kind is played and its status is the simulated one.
	written bool
	// waiting: an object its child operator requires does not exist.
	waiting bool
}

// child is Child, looking up the objects to write through reader. Unless final, a
// child that lacks an object its child operator requires is left alone (waiting),
// to be played again later.
func (s *Simulator) child(ctx context.Context, reader client.Reader, engine string, child *unstructured.Unstructured, scenario string, final bool) (outcome, error) {
	p, err := s.play(engine, child, scenario, nil)
	if err != nil {
		return outcome{}, err
	}
	var missing []string
	if len(p.requires) > 0 {
		found, m, err := s.lookup(ctx, child, p.requires)
		if err != nil {
			return outcome{}, err
		}
		missing = m
		if !final && len(missing) > 0 {
			return outcome{waiting: true}, nil
		}
		if p, err = s.play(engine, child, scenario, found); err != nil {
			return outcome{}, err
		}
	}
	o := outcome{waiting: len(missing) > 0}
	// A child operator writes what it generates (a user's password) before it
	// reports the child ready.
	for _, w := range p.writes {
		if err := s.write(ctx, reader, child, w); err != nil {
			return o, err
		}
	}
	if len(p.status) == 0 {
		return o, nil
	}
	o.written = true
	if current, ok := child.Object["status"]; ok && equality.Semantic.DeepEqual(current, any(p.status)) {
		return o, nil
	}
	u := child.DeepCopy()
	u.Object["status"] = p.status
	if err := s.client.Status().Update(ctx, u); err != nil {
		return outcome{}, fmt.Errorf("cannot write the status of %s %s: %w", child.GetKind(), child.GetName(), err)
	}
	return o, nil
}

// played is what the simulation says the child operator does for one child.
type played struct {
	// status is the child's status subresource; empty for a kind it does not play.
	status map[string]any
	// writes are the objects it writes beside the child.
	writes []map[string]any
	// requires are the objects the child operator reads first, by key; the
	// simulation is played again with those that exist in found.
	requires map[string]requirement
}

// play evaluates the engine's simulation for one child, with found the objects it
// requires that exist (nil before they are looked up). Times are the child's
// creation time, so simulating the same state twice writes nothing the second time.
func (s *Simulator) play(engine string, child *unstructured.Unstructured, scenario string, found map[string]any) (*played, error) {
	// The child keeps its status: a child operator reacts to what it reported before
	// (a switchover target written to the status, for instance).
	obj := child.DeepCopy().Object
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("cannot encode %s %s: %w", child.GetKind(), child.GetName(), err)
	}
	var foundJSON []byte
	if found != nil {
		if foundJSON, err = json.Marshal(found); err != nil {
			return nil, fmt.Errorf("cannot encode what %s %s requires: %w", child.GetKind(), child.GetName(), err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sim, ok := s.engines[engine]
	if !ok {
		return nil, fmt.Errorf("engine %q has no simulation", engine)
	}
	s.evaluations.Add(1)
	// CompileJSON, unlike CompileBytes, leaves nothing in the long-lived context.
	in, err := render.CompileJSON(s.ctx, "child", b)
	if err != nil {
		return nil, err
	}
	// The documents are gathered first and unified with the simulation once: each
	// unification with it evaluates all of it again.
	docs := s.ctx.BuildExpr(ast.NewStruct()).FillPath(childPath, in).
		FillPath(nowPath, child.GetCreationTimestamp().UTC().Format(time.RFC3339))
	if scenario != "" {
		docs = docs.FillPath(scenarioPath, scenario)
	}
	if found != nil {
		f, err := render.CompileJSON(s.ctx, "found", foundJSON)
		if err != nil {
			return nil, err
		}
		docs = docs.FillPath(foundPath, f)
	}
	v := sim.Unify(docs)
	p := &played{}
	if err := v.LookupPath(statusPath).Decode(&p.status); err != nil {
		return nil, fmt.Errorf("cannot simulate %s %s (%s): %w", child.GetKind(), child.GetName(), scenario, err)
	}
	if r := v.LookupPath(requiresPath); r.Exists() {
		if err := r.Decode(&p.requires); err != nil {
			return nil, fmt.Errorf("cannot simulate what %s %s requires (%s): %w", child.GetKind(), child.GetName(), scenario, err)
		}
	}
	if w := v.LookupPath(writesPath); w.Exists() {
		if err := w.Decode(&p.writes); err != nil {
			return nil, fmt.Errorf("cannot simulate what is written for %s %s (%s): %w", child.GetKind(), child.GetName(), scenario, err)
		}
	}
	return p, nil
}
