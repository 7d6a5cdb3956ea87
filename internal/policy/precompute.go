package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// precomputeKey is the custom annotation that marks a rule to precompute:
//
//	# METADATA
//	# custom:
//	#   precompute: true
//	engine_indexes[name] := engine_index(e) if some name, e in data.dbaas.engines
//
// Such a rule reads only data, which a Set never changes, so Load evaluates it once and
// every decision reads its value instead of evaluating it again. The value is the one
// evaluation would compute: Load refuses a marked rule that could depend on the input.
const precomputeKey = "precompute"

// precomputed are the values of the marked rules of one Set, by the ref of the document
// they define (data.<package>.<name>). Read-only once built.
type precomputed struct {
	refs   []ast.Ref
	values []*ast.Term // nil when the document is undefined
}

// precompute evaluates the marked rules of the compiled modules, within timeout and
// with memory bytes for the built-ins of each rule.
func precompute(c *ast.Compiler, store storage.Store, timeout time.Duration, memory int64) (*precomputed, error) {
	refs, err := precomputedRefs(c)
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	halt := topdown.NewCancel()
	stop := context.AfterFunc(ctx, halt.Cancel)
	defer stop()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	pre := &precomputed{refs: refs, values: make([]*ast.Term, len(refs))}
	for i, ref := range refs {
		if pre.values[i], err = evalRef(withBudget(ctx, memory), c, store, txn, halt, ref); err != nil {
			return nil, fmt.Errorf("cannot precompute %s: %w", ref, err)
		}
	}
	return pre, nil
}

// precomputedRefs are the documents of the marked rules, after checking that nothing they
// depend on reads the input, uses with or calls a non-deterministic built-in.
func precomputedRefs(c *ast.Compiler) ([]ast.Ref, error) {
	seen := map[string]bool{}
	var refs []ast.Ref
	var errs []string
	for _, name := range slices.Sorted(maps.Keys(c.Modules)) {
		for _, rule := range c.Modules[name].Rules {
			if !marked(rule) {
				continue
			}
			ref, err := documentRef(rule)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", rule.Location, err))
				continue
			}
			if seen[ref.String()] {
				continue
			}
			seen[ref.String()] = true
			if err := checkDataOnly(c, append(c.GetRulesExact(ref), rule)); err != nil {
				errs = append(errs, fmt.Sprintf("%s: cannot precompute %s: %v", rule.Location, ref, err))
				continue
			}
			refs = append(refs, ref)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cannot load policies: %s", errors.Join(stringErrors(errs)...))
	}
	return refs, nil
}

func marked(rule *ast.Rule) bool {
	for _, a := range rule.Annotations {
		if v, ok := a.Custom[precomputeKey].(bool); ok && v {
			return true
		}
	}
	return false
}

// documentRef is the document a marked rule defines: data.<package>.<name>, whole, so a
// rule of a partial set or object (name[key]) is precomputed with all its keys.
func documentRef(rule *ast.Rule) (ast.Ref, error) {
	if len(rule.Head.Args) > 0 {
		return nil, errors.New("a function cannot be precomputed: precompute a rule that calls it")
	}
	head := rule.Head.Ref()
	if len(head) > len(head.GroundPrefix())+1 {
		return nil, errors.New("only a rule of one document or of one level of keys can be precomputed")
	}
	return ruleName(rule), nil
}

// checkDataOnly refuses rules that could evaluate differently from one decision to the
// next: through the input, a with modifier or a non-deterministic built-in, themselves or
// in any rule or function they depend on.
func checkDataOnly(c *ast.Compiler, rules []*ast.Rule) error {
	visited := map[*ast.Rule]bool{}
	var problems []string
	var visit func(r *ast.Rule)
	visit = func(r *ast.Rule) {
		if visited[r] {
			return
		}
		visited[r] = true
		ast.WalkRefs(r, func(ref ast.Ref) bool {
			if ref[0].Equal(ast.InputRootDocument) {
				problems = append(problems, fmt.Sprintf("%s reads the input (%s)", ruleName(r), ref[0].Location))
			}
			if b, ok := ast.BuiltinMap[ref.String()]; ok && b.Nondeterministic {
				problems = append(problems, fmt.Sprintf("%s calls %s, which is not deterministic", ruleName(r), ref))
			}
			return false
		})
		ast.WalkExprs(r, func(e *ast.Expr) bool {
			if len(e.With) > 0 {
				problems = append(problems, fmt.Sprintf("%s uses with (%s)", ruleName(r), e.Location))
			}
			return false
		})
		for dep := range c.Graph.Dependencies(r) {
			if d, ok := dep.(*ast.Rule); ok {
				visit(d)
			}
		}
	}
	for _, r := range rules {
		visit(r)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(problems[0])
}

// ruleName is the document a rule defines, its keys (if any) left out:
// data.<package>.<name>. Extend spells the name, a variable in the head, as a string.
func ruleName(r *ast.Rule) ast.Ref {
	return r.Module.Package.Path.Extend(r.Head.Ref().GroundPrefix())
}

// evalRef evaluates one document with the store's data and no input.
func evalRef(ctx context.Context, c *ast.Compiler, store storage.Store, txn storage.Transaction, halt topdown.Cancel, ref ast.Ref) (*ast.Term, error) {
	x := ast.VarTerm("x")
	query, err := c.QueryCompiler().Compile(ast.NewBody(ast.Equality.Expr(x, ast.NewTerm(ref))))
	if err != nil {
		return nil, err
	}
	var values []*ast.Term
	err = topdown.NewQuery(query).
		WithCompiler(c).
		WithStore(store).
		WithTransaction(txn).
		WithCancel(halt).
		Iter(ctx, func(qr topdown.QueryResult) error {
			values = append(values, qr[ast.Var("x")])
			return nil
		})
	if err != nil || len(values) == 0 {
		return nil, err
	}
	if len(values) > 1 {
		return nil, errors.New("the document has several values")
	}
	return values[0], nil
}

func stringErrors(ss []string) []error {
	errs := make([]error, len(ss))
	for i, s := range ss {
		errs[i] = errors.New(s)
	}
	return errs
}

// get returns the precomputed value of ref: found is false when ref is not precomputed,
// and value is nil when the document is undefined.
func (p *precomputed) get(ref ast.Ref) (value *ast.Term, found bool) {
	for i, r := range p.refs {
		// The length check spares boxing ref into a Value for most refs.
		if len(r) == len(ref) && r.Equal(ref) {
			return p.values[i], true
		}
	}
	return nil, false
}
