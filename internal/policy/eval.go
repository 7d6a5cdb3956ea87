package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
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
//	 "rendered": [<child object>], "namespace": {"name", "labels"}}
//
// Cluster and each rendered object are JSON-shaped values: map[string]any (the fastest,
// such as unstructured.Unstructured.Object) or any value encoding/json can marshal.
type ClusterInput struct {
	Cluster   any       `json:"cluster"`
	Engine    Engine    `json:"engine"`
	Rendered  []any     `json:"rendered,omitempty"`
	Namespace Namespace `json:"namespace"`
}

// OpsInput is the input of data.dbaas.ops.violation:
//
//	{"ops": <OpsRequest>, "cluster": <DatabaseCluster with status>,
//	 "engine": {"name", "versions", "operations"}, "namespace": {"name", "labels"}}
type OpsInput struct {
	Ops       any       `json:"ops"`
	Cluster   any       `json:"cluster"`
	Engine    Engine    `json:"engine"`
	Namespace Namespace `json:"namespace"`
}

// EvalCluster runs the cluster gate.
func (s *Set) EvalCluster(ctx context.Context, in ClusterInput) (Decision, error) {
	if in.Cluster == nil {
		return Decision{}, errors.New("cannot evaluate the cluster gate: no cluster")
	}
	rendered := make([]*ast.Term, len(in.Rendered))
	for i, o := range in.Rendered {
		v, err := ast.InterfaceToValue(o)
		if err != nil {
			return Decision{}, fmt.Errorf("cannot convert rendered object %d: %w", i, err)
		}
		rendered[i] = ast.NewTerm(v)
	}
	cluster, err := ast.InterfaceToValue(in.Cluster)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert cluster: %w", err)
	}
	input := ast.NewObject(
		ast.Item(ast.InternedTerm("cluster"), ast.NewTerm(cluster)),
		ast.Item(ast.InternedTerm("engine"), ast.NewTerm(in.Engine.value())),
		ast.Item(ast.InternedTerm("rendered"), ast.ArrayTerm(rendered...)),
		ast.Item(ast.InternedTerm("namespace"), ast.NewTerm(in.Namespace.value())),
	)
	return s.eval(ctx, s.cluster, s.clusterCache, clusterQuery, input)
}

// EvalOps runs the ops gate.
func (s *Set) EvalOps(ctx context.Context, in OpsInput) (Decision, error) {
	if in.Ops == nil || in.Cluster == nil {
		return Decision{}, errors.New("cannot evaluate the ops gate: no ops or no cluster")
	}
	ops, err := ast.InterfaceToValue(in.Ops)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert ops: %w", err)
	}
	cluster, err := ast.InterfaceToValue(in.Cluster)
	if err != nil {
		return Decision{}, fmt.Errorf("cannot convert cluster: %w", err)
	}
	input := ast.NewObject(
		ast.Item(ast.InternedTerm("ops"), ast.NewTerm(ops)),
		ast.Item(ast.InternedTerm("cluster"), ast.NewTerm(cluster)),
		ast.Item(ast.InternedTerm("engine"), ast.NewTerm(in.Engine.value())),
		ast.Item(ast.InternedTerm("namespace"), ast.NewTerm(in.Namespace.value())),
	)
	return s.eval(ctx, s.ops, s.opsCache, opsQuery, input)
}

// eval runs a prepared query under the set's deadline and decodes its violations, or
// answers from the cache for an input seen before.
func (s *Set) eval(ctx context.Context, q rego.PreparedEvalQuery, cache *decisionCache, name string, input ast.Value) (Decision, error) {
	if d, ok := cache.get(input); ok {
		return d, nil
	}
	d, err := s.evalQuery(ctx, q, name, input)
	if err == nil {
		cache.put(input, d)
	}
	return d, err
}

func (s *Set) evalQuery(ctx context.Context, q rego.PreparedEvalQuery, name string, input ast.Value) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Decision{}, fmt.Errorf("cannot evaluate %s within %s: %w", name, s.timeout, errors.Join(ctxErr, err))
		}
		return Decision{}, fmt.Errorf("cannot evaluate %s: %w", name, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("cannot evaluate %s: undefined", name)
	}
	items, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return Decision{}, fmt.Errorf("cannot decode %s: want a set, got %T", name, rs[0].Expressions[0].Value)
	}
	d := Decision{Violations: make([]Violation, 0, len(items))}
	for _, item := range items {
		v, err := decodeViolation(item)
		if err != nil {
			return Decision{}, fmt.Errorf("cannot decode %s: %w", name, err)
		}
		d.Violations = append(d.Violations, v)
	}
	slices.SortFunc(d.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Reason, b.Reason))
	})
	return d, nil
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
