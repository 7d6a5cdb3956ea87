package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
)

// forbidden are the built-ins that reach outside the process: a policy runs inside
// admission and reconcile, so it must not call the network or read the runtime.
var forbidden = map[string]bool{
	"http.send":          true,
	"net.lookup_ip_addr": true,
	"opa.runtime":        true,
}

// capabilities are OPA's, minus the forbidden built-ins, so a policy that calls one
// fails to compile even if checkForbidden missed it.
func capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return forbidden[b.Name] })
	return c
}

// checkForbidden names every call of a forbidden built-in with its position, a clearer
// error than the compiler's "undefined function".
func checkForbidden(modules map[string]*ast.Module) error {
	var errs []string
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if name := r.String(); forbidden[name] {
				errs = append(errs, fmt.Sprintf("%s: %s is not allowed: policies must not reach outside the operator", r[0].Location, name))
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
