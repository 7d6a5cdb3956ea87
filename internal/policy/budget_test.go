package policy

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/open-policy-agent/opa/v1/ast"

	"dbaas.io/operator/policies"
)

// chain is a cluster policy whose rule body computes x0 := start, then xi := step,
// where step refers to the previous value as X, n times, and denies with the type
// of the last value.
func chain(start, step string, n int) string {
	var b strings.Builder
	b.WriteString("package dbaas.cluster\n\nviolation contains v if {\n")
	fmt.Fprintf(&b, "\tx0 := %s\n", start)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "\tx%d := %s\n", i, strings.ReplaceAll(step, "X", fmt.Sprintf("x%d", i-1)))
	}
	fmt.Fprintf(&b, "\tv := {\"field\": \"\", \"reason\": \"Grew\", \"msg\": type_name(x%d)}\n}\n", n)
	return b.String()
}

// TestMemoryBudgetStopsGrowth: a policy that makes a value grow faster than the
// deadline can see (each call doubles or squares it, at the speed of memcpy) is
// stopped by the memory budget, naming the call, before it allocates much more
// than the budget.
func TestMemoryBudgetStopsGrowth(t *testing.T) {
	const limit = 1 << 20
	items := make([]any, 200)
	for i := range items {
		items[i] = i
	}
	tests := map[string]struct {
		policy string // the cluster policy
		call   string // the built-in the error must name
	}{
		"concat doubles a string":   {policy: chain(`"xxxxxxxxxxxxxxxx"`, `concat("", [X, X])`, 40), call: "concat"},
		"sprintf doubles a string":  {policy: chain(`"xxxxxxxxxxxxxxxx"`, `sprintf("%s%s", [X, X])`, 40), call: "sprintf"},
		"replace squares a string":  {policy: chain(`"xxxx"`, `replace(X, "x", X)`, 6), call: "replace"},
		"array.concat doubles":      {policy: chain(`[1, 2, 3, 4]`, `array.concat(X, X)`, 40), call: "array.concat"},
		"hex.encode doubles":        {policy: chain(`"xxxxxxxxxxxxxxxx"`, `hex.encode(X)`, 40), call: "hex.encode"},
		"json.marshal escapes":      {policy: chain(`"\u0000\u0000\u0000\u0000"`, `json.marshal([X, X])`, 40), call: "json.marshal"},
		"a separator between items": {policy: chain(`"xxxxxxxxxxxxxxxx"`, `concat(X, [X | some _ in input.cluster.items])`, 3), call: "concat"},
		"widths in a comprehension": {policy: chain(`1`, `[sprintf("%1000000d", [y + X]) | some y in input.cluster.items]`, 1), call: "sprintf"},
		"indents of a deep value":   {policy: chain(`[[[[[[[[[[1]]]]]]]]]]`, `json.marshal_with_options([X, X], {"indent": "                                "})`, 30), call: "json.marshal_with_options"},
		"squared numbers":           {policy: chain(`12345678901234567890`, `X * X`, 40), call: "mul"},
		"a shift by a billion":      {policy: chain(`1`, `bits.lsh(X, 1000000000)`, 1), call: "bits.lsh"},
		"units of a huge exponent":  {policy: chain(`"1e100000000Gi"`, `units.parse_bytes(X)`, 1), call: "units.parse_bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Load(minimal(map[string]string{"cluster/cluster.rego": tc.policy}), WithMemoryBudget(limit), WithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: map[string]any{"items": items}})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), "cluster/cluster.rego:") || !strings.Contains(err.Error(), tc.call+": ") {
				t.Fatalf("decision %v, error %v: want the memory budget's error naming %s and its line", d, err, tc.call)
			}
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 16*limit {
				t.Errorf("allocated %d bytes before it stopped, want at most a few times the budget of %d", allocated, limit)
			}
			if took > 2*time.Second {
				t.Errorf("stopped after %s", took)
			}
		})
	}
}

// TestMemoryBudgetHeadroom: the shipped policies load (their precomputed indexes) and
// decide well within the budget: in a sixty-fourth of it.
func TestMemoryBudgetHeadroom(t *testing.T) {
	s, err := Load(policies.FS, WithMemoryBudget(DefaultMemoryBudget/64), WithDecisionCache(0))
	if err != nil {
		t.Fatal(err)
	}
	cluster := pgCluster(t,
		config("shared_buffers", "1GB", "work_mem", "16MB", "log_statement", "ddl", "statement_timeout", "30s", "max_wal_size", "x"),
		set("external", "spec", "proxy", "expose", "type"),
		set([]any{"10.0.0.0/8", "172.16.0.0/12", "::/0"}, "spec", "proxy", "expose", "ipSourceRanges"))
	d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: cluster, Engine: pgEngine})
	if err != nil || d.Allowed() {
		t.Fatalf("decision %v, error %v: want violations", d, err)
	}
	ops := object(t, `{"metadata": {"name": "r", "namespace": "shop"}, "spec": {"clusterRef": "orders", "type": "Reconfiguring",
		"reconfiguring": {"config": [{"name": "work_mem", "value": "64MB"}]}}}`)
	patch := map[string]any{"config": []any{map[string]any{"name": "work_mem", "value": "64MB"}}}
	if _, err := s.EvalOps(context.Background(), OpsInput{Ops: ops, Cluster: pgCluster(t), Engine: pgEngine, SpecPatch: patch}); err != nil {
		t.Fatal(err)
	}
}

// TestForbiddenBuiltinsRefusedAtLoad: an override calling a forbidden built-in does
// not load, with the file, the line and why; a Reloader keeps serving the last good
// policies.
func TestForbiddenBuiltinsRefusedAtLoad(t *testing.T) {
	tests := map[string]struct {
		rule    string // a rule of package dbaas.lib
		wantErr string
	}{
		"numbers.range": {
			rule:    "ids := numbers.range(1, 1e9)",
			wantErr: "lib/extra.rego:3: numbers.range is not allowed: it allocates an array as long as its numbers ask, in one call",
		},
		"numbers.range_step": {rule: "ids := numbers.range_step(1, 1e9, 1)", wantErr: "numbers.range_step is not allowed"},
		"net.cidr_expand":    {rule: `hosts := net.cidr_expand("0.0.0.0/0")`, wantErr: "net.cidr_expand is not allowed: it allocates a string per address"},
		"strings.render_template": {
			rule:    `t := strings.render_template("{{range .}}{{range .}}x{{end}}{{end}}", {"a": [1]})`,
			wantErr: "strings.render_template is not allowed",
		},
		"graph.reachable_paths": {rule: `p := graph.reachable_paths({"a": ["b"]}, {"a"})`, wantErr: "graph.reachable_paths is not allowed"},
		"net.lookup_ip_addr":    {rule: `ips := net.lookup_ip_addr("example.com")`, wantErr: "net.lookup_ip_addr is not allowed: it reaches outside the operator (DNS)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Load(minimal(map[string]string{"lib/extra.rego": "package dbaas.lib\n\n" + tc.rule + "\n"}))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}

	t.Run("reload keeps the last good policies", func(t *testing.T) {
		dir := copyPolicies(t)
		r, err := NewReloader(dir, logr.Discard(), nil)
		if err != nil {
			t.Fatal(err)
		}
		good := r.Current()
		if err := write(dir, "lib/ids.rego", "package dbaas.lib\n\nids := numbers.range(1, 1e9)\n"); err != nil {
			t.Fatal(err)
		}
		swapped, err := r.Reload()
		if swapped || err == nil || !strings.Contains(err.Error(), "lib/ids.rego:3: numbers.range is not allowed") {
			t.Fatalf("Reload() = %v, %v: want the refusal of numbers.range", swapped, err)
		}
		if r.Current() != good {
			t.Error("a refused override replaced the policies in service")
		}
		d, err := r.Current().EvalCluster(context.Background(), ClusterInput{Cluster: pgCluster(t), Engine: pgEngine})
		if err != nil || !d.Allowed() {
			t.Errorf("the last good policies decide %v, %v: want the sample allowed", d, err)
		}
	})
}

// TestMeteringTablesNameBuiltins: every built-in the tables name exists in this
// version of OPA, so an upgrade that renames one fails here rather than leave it
// unmetered or allowed.
func TestMeteringTablesNameBuiltins(t *testing.T) {
	for _, table := range []map[string]bool{keys(estimates), unmetered, keys(forbidden)} {
		for name := range table {
			if _, ok := ast.BuiltinMap[name]; !ok && name != "trace" && name != "print" {
				t.Errorf("%s is not a built-in of this OPA", name)
			}
		}
	}
	for name := range estimates {
		if unmetered[name] || forbidden[name] != "" {
			t.Errorf("%s has an estimate but is not metered", name)
		}
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// TestMeteredResultsUnchanged: metering changes no result. The gates' table tests run
// metered; this compares a few built-ins with and without a budget.
func TestMeteredResultsUnchanged(t *testing.T) {
	policy := `package dbaas.cluster

violation contains {"field": "", "reason": "R", "msg": msg} if {
	msg := concat(",", [
		sprintf("%d-%s", [42, "x"]),
		replace("a-b-c", "-", "_"),
		format_int(255, 16),
		json.marshal({"a": [1, 2]}),
		concat("", split("a.b.c", ".")),
		sprintf("%v", [(12345678901234567890 * 3) + 1]),
		sprintf("%v", [units.parse_bytes("10Gi")]),
	])
}
`
	s, err := Load(minimal(map[string]string{"cluster/cluster.rego": policy}), WithDecisionCache(0))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	want := `42-x,a_b_c,ff,{"a":[1,2]},abc,37037036703703703671,10737418240`
	if len(d.Violations) != 1 || d.Violations[0].Message != want {
		t.Errorf("got %v, want the message %s", d.Violations, want)
	}
}

// TestBudgetCharge: a charge is taken while it fits and refused beyond.
func TestBudgetCharge(t *testing.T) {
	b := &budget{limit: 10, left: 10}
	if err := b.charge("concat", nil, 11); !errors.Is(err, ErrMemoryBudget) {
		t.Errorf("charge over the budget: %v", err)
	}
	if err := b.charge("concat", nil, 10); err != nil || b.left != 0 {
		t.Errorf("charge of what is left: %v, %d left", err, b.left)
	}
}
