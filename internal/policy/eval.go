package policy

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Violation is one reason a policy refuses an object.
type Violation struct {
	// Field is the JSON path at fault, such as spec.config[max_connections].
	Field string `json:"field"`
	// Reason is a CamelCase reason, such as ParameterFixed.
	Reason string `json:"reason"`
	// Message says what is wrong and, where there is one, what to do instead.
	Message string `json:"msg"`
}

// Decision is the outcome of a gate: the violations, sorted by field then message.
type Decision struct {
	Violations []Violation
}

// Allowed is true when no rule found a violation.
func (d Decision) Allowed() bool { return len(d.Violations) == 0 }

// ReasonClusterNotReady is the reason of the ops policy's objection that an
// operation needs a Ready cluster.
const ReasonClusterNotReady = "ClusterNotReady"

// OnlyReason is true when there is at least one violation and every violation has
// reason, such as ClusterNotReady: the object would be allowed but for that.
func (d Decision) OnlyReason(reason string) bool {
	for _, v := range d.Violations {
		if v.Reason != reason {
			return false
		}
	}
	return !d.Allowed()
}

// Message joins the violations' messages, for a condition or an admission response.
func (d Decision) Message() string {
	msgs := make([]string, len(d.Violations))
	for i, v := range d.Violations {
		msgs[i] = v.Message
	}
	return strings.Join(msgs, "; ")
}

// Engine is what the gates know of an engine from its CUE package.
type Engine struct {
	// Name is the engine, such as postgresql.
	Name string `json:"name"`
	// Versions are the versions of its catalog.
	Versions []string `json:"versions"`
	// Operations are the OpsRequest types it implements (the ops gate only).
	Operations []string `json:"operations,omitempty"`
}

// Namespace is the namespace of the object under review.
type Namespace struct {
	// Name of the namespace; default: the cluster's metadata.namespace.
	Name string `json:"name,omitempty"`
	// Labels of the namespace; dbaas.io/tier selects its tier.
	Labels map[string]string `json:"labels,omitempty"`
}

// ClusterInput is the input of data.dbaas.cluster.violation:
//
//	{"cluster": <DatabaseCluster>, "engine": {"name", "versions"},
//	 "rendered": [<child object>], "namespace": {"name", "labels"},
//	 "backupStorages": {<name>: <BackupStorage spec>}}
//
// Cluster and each rendered object are JSON-shaped values: map[string]any (the fastest,
// such as unstructured.Unstructured.Object) or any value encoding/json can marshal.
type ClusterInput struct {
	Cluster   any       `json:"cluster"`
	Engine    Engine    `json:"engine"`
	Rendered  []any     `json:"rendered,omitempty"`
	Namespace Namespace `json:"namespace"`
	// BackupStorages are the specs of the BackupStorages the cluster names, by name;
	// one that does not exist is absent.
	BackupStorages map[string]any `json:"backupStorages,omitempty"`
}

// OpsInput is the input of data.dbaas.ops.violation:
//
//	{"ops": <OpsRequest>, "cluster": <DatabaseCluster with status>,
//	 "engine": {"name", "versions", "operations"}, "namespace": {"name", "labels"},
//	 "specPatch": <the engine's spec patch>,
//	 "backupStorages": {<name>: <BackupStorage spec>}}
type OpsInput struct {
	Ops       any       `json:"ops"`
	Cluster   any       `json:"cluster"`
	Engine    Engine    `json:"engine"`
	Namespace Namespace `json:"namespace"`
	// SpecPatch is the patch the engine's definition of the operation makes to the
	// cluster's spec (the whole spec.config after a Reconfiguring), so the policy
	// judges the spec the engine would write; nil when it makes none.
	SpecPatch map[string]any `json:"specPatch,omitempty"`
	// BackupStorages are the specs of the BackupStorages the operation names, by
	// name; one that does not exist is absent.
	BackupStorages map[string]any `json:"backupStorages,omitempty"`
}

// EvalCluster runs the cluster gate.
func (s *Set) EvalCluster(ctx context.Context, in ClusterInput) (Decision, error) {
	if in.Cluster == nil {
		return Decision{}, errors.New("cannot evaluate the cluster gate: no cluster")
	}
	lazy := s.clusterCache == nil
	rendered := make([]any, len(in.Rendered))
	for i, o := range in.Rendered {
		v, err := inputValue(o, lazy)
		if err != nil {
			return Decision{}, fmt.Errorf("cannot convert rendered object %d: %w", i, err)
		}
		rendered[i] = v
	}
	cluster, err := inputValue(in.Cluster, lazy)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert cluster: %w", err)
	}
	parts := map[string]any{
		"cluster":   cluster,
		"engine":    in.Engine.value(),
		"rendered":  rendered,
		"namespace": in.Namespace.value(),
	}
	if len(in.BackupStorages) > 0 {
		if parts["backupStorages"], err = inputValue(in.BackupStorages, lazy); err != nil {
			return Decision{}, fmt.Errorf("cannot convert the backup storages: %w", err)
		}
	}
	return s.eval(ctx, kindCluster, s.cluster, s.clusterCache, clusterQuery, inputObject(lazy, parts))
}

// EvalOps runs the ops gate.
func (s *Set) EvalOps(ctx context.Context, in OpsInput) (Decision, error) {
	if in.Ops == nil || in.Cluster == nil {
		return Decision{}, errors.New("cannot evaluate the ops gate: no ops or no cluster")
	}
	lazy := s.opsCache == nil
	ops, err := inputValue(in.Ops, lazy)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert ops: %w", err)
	}
	cluster, err := inputValue(in.Cluster, lazy)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert cluster: %w", err)
	}
	parts := map[string]any{
		"ops":       ops,
		"cluster":   cluster,
		"engine":    in.Engine.value(),
		"namespace": in.Namespace.value(),
	}
	if in.SpecPatch != nil {
		if parts["specPatch"], err = inputValue(in.SpecPatch, lazy); err != nil {
			return Decision{}, fmt.Errorf("cannot convert the spec patch: %w", err)
		}
	}
	if len(in.BackupStorages) > 0 {
		if parts["backupStorages"], err = inputValue(in.BackupStorages, lazy); err != nil {
			return Decision{}, fmt.Errorf("cannot convert the backup storages: %w", err)
		}
	}
	return s.eval(ctx, kindOps, s.ops, s.opsCache, opsQuery, inputObject(lazy, parts))
}

// inputValue converts an object of the input. Lazily (without a decision cache, whose
// key hashes the whole input anyway), a JSON-shaped map stays as it is for
// ast.LazyObject, which converts a field only when a policy reads it: a gate reads a few
// fields of a cluster, and converting all of it cost more than its rules. Anything else is
// converted now (through JSON when it is not JSON-shaped), so conversion errors surface
// here rather than during the evaluation.
func inputValue(x any, lazy bool) (any, error) {
	if m, ok := x.(map[string]any); ok && lazy && jsonShaped(m) {
		return m, nil
	}
	return ast.InterfaceToValue(x)
}

// inputObject is the input of a gate from its parts (see inputValue): lazily, an object
// that converts a part when a policy reads it (parts that are ast values stay as they
// are); else an object of the converted parts.
func inputObject(lazy bool, parts map[string]any) ast.Value {
	if lazy {
		return ast.LazyObject(parts)
	}
	// Every part is an ast.Value or, for rendered, a []any of them: this cannot fail.
	return ast.MustInterfaceToValue(parts)
}

// jsonShaped reports whether x holds only values that ast.InterfaceToValue converts
// without going through JSON, which the lazy object requires (it cannot report errors).
func jsonShaped(x any) bool {
	switch x := x.(type) {
	case nil, bool, string, json.Number, int, int64, uint64, float64, []string, map[string]string:
		return true
	case []any:
		for _, v := range x {
			if !jsonShaped(v) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, v := range x {
			if !jsonShaped(v) {
				return false
			}
		}
		return true
	}
	return false
}

// eval runs a prepared query of a gate kind under the set's deadline and memory
// budget and decodes its violations, or answers from the cache for an input seen
// before (the one case not timed).
func (s *Set) eval(ctx context.Context, kind string, q ast.Body, cache *decisionCache, name string, input ast.Value) (Decision, error) {
	if d, ok := cache.get(input); ok {
		return d, nil
	}
	start := time.Now()
	d, err := s.evalQuery(ctx, q, name, input)
	observeEvaluation(kind, d, err, time.Since(start))
	if err == nil {
		cache.put(input, d)
	}
	return d, err
}

func (s *Set) evalQuery(ctx context.Context, q ast.Body, name string, input ast.Value) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// Cancel the evaluation at the deadline without a goroutine per evaluation.
	halt := topdown.NewCancel()
	stop := context.AfterFunc(ctx, halt.Cancel)
	defer stop()
	result, err := s.run(withBudget(ctx, s.memory), q, input, halt)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Decision{}, fmt.Errorf("cannot evaluate %s within %s: %w", name, s.timeout, errors.Join(ctxErr, err))
		}
		return Decision{}, fmt.Errorf("cannot evaluate %s: %w", name, err)
	}
	if result == nil {
		return Decision{}, fmt.Errorf("cannot evaluate %s: undefined", name)
	}
	set, ok := result.Value.(ast.Set)
	if !ok {
		v, _ := ast.JSON(result.Value)
		return Decision{}, fmt.Errorf("cannot decode %s: want a set, got %T", name, v)
	}
	d := Decision{Violations: make([]Violation, 0, set.Len())}
	err = set.Iter(func(item *ast.Term) error {
		x, err := ast.JSON(item.Value)
		if err != nil {
			return err
		}
		v, err := decodeViolation(x)
		if err != nil {
			return err
		}
		d.Violations = append(d.Violations, v)
		return nil
	})
	if err != nil {
		return Decision{}, fmt.Errorf("cannot decode %s: %w", name, err)
	}
	slices.SortFunc(d.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Reason, b.Reason))
	})
	return d, nil
}

// run evaluates a compiled gate query and returns its result, nil when undefined. It
// reads precomputed documents from the set (see precompute) and needs no metrics.
func (s *Set) run(ctx context.Context, q ast.Body, input ast.Value, halt topdown.Cancel) (*ast.Term, error) {
	txn, err := s.store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer s.store.Abort(ctx, txn)
	var results []*ast.Term
	err = topdown.NewQuery(q).
		WithCompiler(s.compiler).
		WithStore(s.store).
		WithTransaction(txn).
		WithInput(ast.NewTerm(input)).
		WithVirtualCache(newEvalCache(s.pre)).
		WithCancel(halt).
		WithMetrics(metrics.NoOp()).
		Iter(ctx, func(qr topdown.QueryResult) error {
			results = append(results, qr[resultVar])
			return nil
		})
	if err != nil || len(results) != 1 {
		return nil, err
	}
	return results[0], nil
}

// decodeViolation checks one finding against the output contract.
func decodeViolation(item any) (Violation, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Violation{}, fmt.Errorf("violation %v is not an object", item)
	}
	field, _ := obj["field"].(string)
	reason, _ := obj["reason"].(string)
	msg, _ := obj["msg"].(string)
	if reason == "" || msg == "" {
		return Violation{}, fmt.Errorf("violation %v lacks a string reason or msg", item)
	}
	return Violation{Field: field, Reason: reason, Message: msg}, nil
}

func (e Engine) value() ast.Value {
	return ast.NewObject(
		ast.Item(ast.InternedTerm("name"), ast.StringTerm(e.Name)),
		ast.Item(ast.InternedTerm("versions"), stringsTerm(e.Versions)),
		ast.Item(ast.InternedTerm("operations"), stringsTerm(e.Operations)),
	)
}

func (n Namespace) value() ast.Value {
	labels := ast.NewObject()
	for k, v := range n.Labels {
		labels.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	obj := ast.NewObject(ast.Item(ast.InternedTerm("labels"), ast.NewTerm(labels)))
	if n.Name != "" {
		obj.Insert(ast.InternedTerm("name"), ast.StringTerm(n.Name))
	}
	return obj
}

func stringsTerm(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(terms...)
}
