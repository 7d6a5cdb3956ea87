package policy

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/types"
)

// DefaultMemoryBudget bounds the bytes the built-ins of one evaluation may produce.
// A decision of the shipped policies takes about 11 KiB of it and the largest index
// they precompute at load 160 KiB (TestMemoryBudgetHeadroom runs them within a
// sixty-fourth of it), so it stops only what a gate has no use for.
const DefaultMemoryBudget = 16 << 20

// ErrMemoryBudget is the error of an evaluation stopped at its memory budget.
var ErrMemoryBudget = errors.New("the policy evaluation exceeded its memory budget")

// The deadline bounds what a policy does step by step: each rule, iteration and
// built-in call checks it. It does not bound what one built-in call does, nor how
// fast memory grows between two checks: concat, sprintf, replace or array.concat can
// double a value at each call, at the speed of memcpy, so forty lines reach terabytes
// before a one-second deadline. The budget bounds that: every built-in call that can
// produce more than a small fixed size is metered. Before it runs, a call is charged
// what its operands say it will produce at most, where that can exceed its output
// many times over (see estimates); after it, the top level of each value it
// returns. An evaluation that runs out stops with ErrMemoryBudget, whatever the rules
// would have decided, so a policy cannot exhaust the operator's memory.

// budget is what one evaluation may still allocate through built-ins. An evaluation
// runs on one goroutine, so it needs no lock.
type budget struct {
	limit, left int64
	// calls are the metered calls in progress, the innermost last: a built-in hands
	// its outputs to the evaluation, which may call others before it returns.
	calls []call
	// output is b.onOutput, made once: a closure per call would allocate per call.
	output func(*ast.Term) error
}

// call is a metered call in progress.
type call struct {
	name string
	loc  *ast.Location
	iter func(*ast.Term) error
}

type budgetKey struct{}

// withBudget makes the evaluations run with ctx metered against limit bytes.
func withBudget(ctx context.Context, limit int64) context.Context {
	b := &budget{limit: limit, left: limit}
	b.output = b.onOutput
	return context.WithValue(ctx, budgetKey{}, b)
}

// onOutput charges an output of the innermost call and hands it to the evaluation.
func (b *budget) onOutput(out *ast.Term) error {
	c := b.calls[len(b.calls)-1]
	if err := b.charge(c.name, c.loc, shallowSize(out.Value)); err != nil {
		return err
	}
	return c.iter(out)
}

// charge takes n bytes from the budget, or fails the evaluation when there are not
// as many left.
func (b *budget) charge(name string, loc *ast.Location, n int64) error {
	if n <= b.left {
		b.left -= n
		return nil
	}
	msg := fmt.Sprintf("%s: %v: the call needs %s with %s of %s left", name, ErrMemoryBudget, bytesText(n), bytesText(b.left), bytesText(b.limit))
	if n == overBudget {
		msg = fmt.Sprintf("%s: %v: the result would exceed 2^%d, the largest number a policy may make", name, ErrMemoryBudget, maxNumberBits)
	}
	// Halt stops the whole evaluation: another built-in error would only make the
	// expression undefined, and an undefined violation reads as allowed.
	return topdown.Halt{Err: (&topdown.Error{Code: topdown.BuiltinErr, Message: msg, Location: loc}).Wrap(ErrMemoryBudget)}
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// unmetered are the built-ins that return one of their operands or a value of a small
// fixed size (a hash, a time, a count), besides those that return booleans.
var unmetered = map[string]bool{
	"object.get": true, "count": true, "max": true, "min": true, "type_name": true,
	"crypto.md5": true, "crypto.sha1": true, "crypto.sha256": true,
	"crypto.hmac.md5": true, "crypto.hmac.sha1": true, "crypto.hmac.sha256": true, "crypto.hmac.sha512": true,
	"time.now_ns": true, "time.parse_ns": true, "time.parse_rfc3339_ns": true, "time.parse_duration_ns": true,
	"time.date": true, "time.clock": true, "time.weekday": true, "time.add_date": true, "time.diff": true,
	"uuid.rfc4122": true, "rand.intn": true, "semver.compare": true, "strings.count": true,
	"indexof": true, "internal.print": true, "trace": true, "print": true,
}

// The metered built-ins are installed once, in OPA's table of built-ins: OPA offers no
// other way to see a call's operands and outputs. Without a budget in the context
// (OPA's test runner, other callers), a metered call runs as it would unmetered.
func init() {
	for _, b := range ast.Builtins {
		f := topdown.GetBuiltin(b.Name)
		if f == nil || unmetered[b.Name] || forbidden[b.Name] != "" || returnsBoolean(b) {
			continue
		}
		// The budget travels in the evaluation's context, which OPA hands only to
		// built-ins that ask for their context.
		b.CanSkipBctx = false
		topdown.RegisterBuiltinFunc(b.Name, metered(b.Name, estimates[b.Name], f))
	}
}

// metered wraps a built-in: the estimate of its operands is charged before it runs,
// and each output after.
func metered(name string, estimate func([]*ast.Term) int64, f topdown.BuiltinFunc) topdown.BuiltinFunc {
	return func(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
		var b *budget
		if bctx.Context != nil {
			b, _ = bctx.Context.Value(budgetKey{}).(*budget)
		}
		if b == nil {
			return f(bctx, operands, iter)
		}
		if estimate != nil {
			if err := b.charge(name, bctx.Location, estimate(operands)); err != nil {
				return err
			}
		}
		b.calls = append(b.calls, call{name: name, loc: bctx.Location, iter: iter})
		defer func() { b.calls = b.calls[:len(b.calls)-1] }()
		return f(bctx, operands, b.output)
	}
}

func returnsBoolean(b *ast.Builtin) bool {
	t := b.Decl.Result()
	if n, ok := t.(*types.NamedType); ok {
		t = n.Type
	}
	_, ok := t.(types.Boolean)
	return ok
}

// Bytes charged per value: what Go allocates for a term and its value's header,
// rounded up. They need not be exact, only proportional.
const (
	termBytes    = 64 // a *Term in a collection, with its value's header
	keyBytes     = 96 // an object's key and value terms and its hash slot
	scalarHeader = 16
)

// shallowSize estimates the bytes of a value without the values it holds: a
// collection's elements are charged when a built-in makes them.
func shallowSize(v ast.Value) int64 {
	switch v := v.(type) {
	case ast.String:
		return scalarHeader + int64(len(v))
	case ast.Number:
		return scalarHeader + int64(len(v))
	case *ast.Array:
		return termBytes * int64(1+v.Len())
	case ast.Object:
		return keyBytes * int64(1+v.Len())
	case ast.Set:
		return termBytes * int64(1+v.Len())
	}
	return scalarHeader
}
