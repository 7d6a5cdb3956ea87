package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
)

// forbidden are the built-ins a policy may not call, with the reason. A policy runs
// inside admission and reconcile: it must not reach outside the process, and it must
// not allocate without a bound that its operands set (the budget, see budget.go,
// meters every other built-in). policies/README.md lists them.
var forbidden = map[string]string{
	"http.send":               "it reaches outside the operator (the network)",
	"net.lookup_ip_addr":      "it reaches outside the operator (DNS)",
	"opa.runtime":             "it reads the operator's runtime (its environment and configuration)",
	"numbers.range":           "it allocates an array as long as its numbers ask, in one call: iterate over the input or the data instead",
	"numbers.range_step":      "it allocates an array as long as its numbers ask, in one call: iterate over the input or the data instead",
	"net.cidr_expand":         "it allocates a string per address of the range, in one call (2^32 for 0.0.0.0/0): use net.cidr_merge, net.cidr_contains or net.cidr_intersects",
	"strings.render_template": "its template loops run inside one call, beyond the deadline and the memory budget: build strings with sprintf and concat",
	"graph.reachable_paths":   "it lists every path of a graph in one call, exponentially many in its size: use graph.reachable",
}

// capabilities are OPA's, minus the forbidden built-ins, so a policy that calls one
// fails to compile even if checkForbidden missed it.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return forbidden[b.Name] != "" })
	return c
}

// checkForbidden names every call of a forbidden built-in with its position and the
// reason, a clearer error than the compiler's "undefined function".
func checkForbidden(modules map[string]*ast.Module) error {
	var errs []string
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			name := r.String()
			if why := forbidden[name]; why != "" {
				errs = append(errs, fmt.Sprintf("%s: %s is not allowed: %s", r[0].Location, name, why))
			}
			return false
		})
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("cannot compile policies: %w", errors.Join(stringErrors(errs)...))
}

// deterministic reports whether no module calls a non-deterministic built-in, so that
// decisions may be cached.
func deterministic(modules map[string]*ast.Module) bool {
	pure := true
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if b, ok := ast.BuiltinMap[r.String()]; ok && b.Nondeterministic {
				pure = false
			}
			return !pure
		})
	}
	return pure
}
