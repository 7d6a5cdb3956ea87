package policy

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"

	"dbaas.io/operator/policies"
)

// TestPrecomputedIndexes checks that the shipped policies precompute the engine and tier
// indexes, and that decisions do not depend on it: with the precomputed values removed,
// every rule evaluates them again and must decide the same.
func TestPrecomputedIndexes(t *testing.T) {
	s, err := Load(policies.FS, WithDecisionCache(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"data.dbaas.lib.engine_indexes", "data.dbaas.lib.tier_indexes"} {
		v, ok := s.pre.get(ast.MustParseRef(ref))
		if !ok || v == nil {
			t.Fatalf("%s is not precomputed", ref)
		}
	}
	engines, _ := s.pre.get(ast.MustParseRef("data.dbaas.lib.engine_indexes"))
	if engines.Get(ast.StringTerm("postgresql")) == nil {
		t.Fatal("engine_indexes has no postgresql")
	}

	plain := *s
	plain.pre = nil
	ctx := context.Background()
	clusters := map[string]ClusterInput{
		"typical":       typicalCluster(t),
		"bad config":    {Cluster: pgCluster(t, config("min_wal_size", "4GB", "max_wal_size", "2GB", "port", "1", "work_mem", "lots")), Engine: pgEngine},
		"out of limits": {Cluster: pgCluster(t, set(12, "spec", "clusterSize"), set("3", "spec", "resources", "requests", "cpu")), Engine: pgEngine},
		"small tier":    {Cluster: pgCluster(t, set("200Gi", "spec", "storage", "size")), Engine: pgEngine, Namespace: Namespace{Labels: map[string]string{"dbaas.io/tier": "small"}}},
	}
	for name, in := range clusters {
		want, err1 := plain.EvalCluster(ctx, in)
		got, err2 := s.EvalCluster(ctx, in)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: precomputed %v %v, evaluated %v %v", name, got, err2, want, err1)
		}
		if name != "typical" && want.Allowed() {
			t.Errorf("%s: allowed, want violations", name)
		}
	}
	ops := object(t, `{"metadata": {"name": "op"}, "spec": {"clusterRef": "orders", "type": "Reconfiguring",
		"reconfiguring": {"config": [{"name": "min_wal_size", "value": "3GB"}]}}}`)
	patch := object(t, `{"config": [{"name": "max_connections", "value": "300"}, {"name": "max_wal_size", "value": "2GB"},
		{"name": "min_wal_size", "value": "3GB"}]}`)
	in := OpsInput{Ops: ops, Cluster: pgCluster(t), Engine: pgEngine, SpecPatch: patch}
	want, err1 := plain.EvalOps(ctx, in)
	got, err2 := s.EvalOps(ctx, in)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) || want.Allowed() {
		t.Errorf("reconfiguring: precomputed %v %v, evaluated %v %v", got, err2, want, err1)
	}
}

// TestPrecomputeRefusesWhatDependsOnTheInput checks that a rule marked to precompute must
// read only data: its value is computed once, so anything else would go stale.
func TestPrecomputeRefusesWhatDependsOnTheInput(t *testing.T) {
	const gates = `package dbaas.cluster
violation contains 1 if false
`
	const opsGate = `package dbaas.ops
violation contains 1 if false
`
	tests := map[string]struct {
		module string
		want   string
	}{
		"input": {`package dbaas.lib
# METADATA
# custom:
#   precompute: true
names := {n | some n in input.names}
`, "data.dbaas.lib.names reads the input"},
		"input through a helper": {`package dbaas.lib
# METADATA
# custom:
#   precompute: true
names := _names
_names := input.names
`, "data.dbaas.lib._names reads the input"},
		"non-deterministic": {`package dbaas.lib
# METADATA
# custom:
#   precompute: true
now := time.now_ns()
`, "calls time.now_ns, which is not deterministic"},
		"function": {`package dbaas.lib
# METADATA
# custom:
#   precompute: true
double(x) := 2 * x
`, "a function cannot be precomputed"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"cluster/cluster.rego": {Data: []byte(gates)},
				"ops/ops.rego":         {Data: []byte(opsGate)},
				"lib/lib.rego":         {Data: []byte(tt.module)},
			}
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestEvalCacheFrames checks the evaluation cache against what topdown expects of a
// virtual cache: values and undefined results by ref, and a fresh frame under with
// (Push), where precomputed documents do not apply either.
func TestEvalCacheFrames(t *testing.T) {
	pre := &precomputed{
		refs:   []ast.Ref{ast.MustParseRef("data.x.pre"), ast.MustParseRef("data.x.none")},
		values: []*ast.Term{ast.IntNumberTerm(1), nil},
	}
	c := newEvalCache(pre)
	a, b := ast.MustParseRef("data.x.a"), ast.MustParseRef(`data.x.f["arg"]`)
	assertGet := func(ref ast.Ref, want *ast.Term, wantUndefined bool) {
		t.Helper()
		got, undefined := c.Get(ref)
		if !got.Equal(want) || undefined != wantUndefined {
			t.Errorf("Get(%v) = %v, %v; want %v, %v", ref, got, undefined, want, wantUndefined)
		}
	}
	assertGet(a, nil, false)
	assertGet(ast.MustParseRef("data.x.pre"), ast.IntNumberTerm(1), false)
	assertGet(ast.MustParseRef("data.x.none"), nil, true)

	// The caller may reuse a ref's slice after Put.
	reused := b.Copy()
	c.Put(reused, ast.StringTerm("v"))
	reused[len(reused)-1] = ast.StringTerm("other")
	c.Put(a, nil)
	assertGet(b, ast.StringTerm("v"), false)
	assertGet(a, nil, true)
	if len(c.Keys()) != 2 {
		t.Errorf("Keys() = %v, want 2 refs", c.Keys())
	}

	c.Push()
	assertGet(b, nil, false)
	assertGet(ast.MustParseRef("data.x.pre"), nil, false)
	c.Put(b, ast.StringTerm("w"))
	assertGet(b, ast.StringTerm("w"), false)
	c.Pop()
	assertGet(b, ast.StringTerm("v"), false)
	assertGet(ast.MustParseRef("data.x.pre"), ast.IntNumberTerm(1), false)
}

// TestEvalRefusesWhatJSONCannotHold checks that an input value JSON cannot encode is an
// error, not a panic of the lazy conversion.
func TestEvalRefusesWhatJSONCannotHold(t *testing.T) {
	s := embedded(t)
	cluster := pgCluster(t, set(make(chan int), "spec", "bad"))
	if _, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: cluster, Engine: pgEngine}); err == nil {
		t.Error("EvalCluster accepted a channel in the cluster")
	}
	// A Go value that is not JSON-shaped goes through JSON.
	typed := pgCluster(t, set(struct {
		Size string `json:"size"`
	}{"2Ti"}, "spec", "storage"))
	d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: typed, Engine: pgEngine})
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, []Violation{{"spec.storage.size", "TierLimitExceeded", "storage.size 2Ti exceeds the limit of tier standard (1Ti)"}})
}

// TestEvalConcurrentUncached evaluates from many goroutines without the decision cache,
// so that lazy inputs, evaluation caches and precomputed documents run concurrently
// (run with -race).
func TestEvalConcurrentUncached(t *testing.T) {
	s, err := Load(policies.FS, WithDecisionCache(0))
	if err != nil {
		t.Fatal(err)
	}
	in := typicalCluster(t)
	want, err := s.EvalCluster(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		in := typicalCluster(t)
		go func() {
			for range 20 {
				d, err := s.EvalCluster(context.Background(), in)
				if err == nil && !reflect.DeepEqual(d, want) {
					err = fmt.Errorf("decision %v, want %v", d, want)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
