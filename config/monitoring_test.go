package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	// Each registers its metrics on controller-runtime's registry, as in the manager.
	_ "dbaas.io/operator/controller"
	_ "dbaas.io/operator/internal/operator"
	_ "dbaas.io/operator/internal/policy"
	_ "dbaas.io/operator/internal/render"
	_ "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// selector finds the metric names of a PromQL expression. The queries of config/
// write every metric with a label matcher (at least {job="..."}), which is what
// makes the name findable; expressions checks that each query names one.
var selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)

// scrapeMetrics are made by Prometheus at each scrape, not by the operator.
var scrapeMetrics = []string{"up"}

// TestMonitoringMetricsExist fails when an alert or a dashboard query names a metric
// the operator does not register, as after a rename.
func TestMonitoringMetricsExist(t *testing.T) {
	for file, exprs := range map[string][]string{
		"prometheus/prometheusrule.yaml": ruleExprs(t),
		"grafana/dbaas-operator.json":    dashboardExprs(t),
	} {
		if len(exprs) == 0 {
			t.Errorf("%s: no query found", file)
		}
		for _, expr := range exprs {
			names := selector.FindAllStringSubmatch(expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: %q names no metric with a label matcher", file, expr)
			}
			for _, m := range names {
				if name := m[1]; !slices.Contains(scrapeMetrics, name) && !registered(t, name) {
					t.Errorf("%s: %s is not a metric the operator registers (in %q)", file, name, expr)
				}
			}
		}
	}
}

// TestPrometheusRuleParses checks the rule file's structure: the PrometheusRule
// type decodes it strictly, each rule is an alert with an expression, a severity and
// a summary, its `for` is a duration, and its braces and quotes balance.
func TestPrometheusRuleParses(t *testing.T) {
	rule := readRule(t)
	alerts := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" {
				t.Errorf("group %s: a rule without alert (recording rules are not expected)", g.Name)
			}
			if strings.TrimSpace(r.Expr.String()) == "" {
				t.Errorf("%s: no expr", r.Alert)
			}
			if err := balanced(r.Expr.String()); err != nil {
				t.Errorf("%s: %v in %q", r.Alert, err, r.Expr.String())
			}
			if r.For != nil {
				if _, err := model.ParseDuration(string(*r.For)); err != nil {
					t.Errorf("%s: for: %v", r.Alert, err)
				}
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: want a severity label and a summary annotation", r.Alert)
			}
		}
	}
	for _, want := range []string{"DatabaseClusterNotReady", "OpsRequestFailed", "OpsRequestPastTimeout"} {
		if !slices.ContainsFunc(rule.Spec.Groups, func(g monitoringv1.RuleGroup) bool {
			return slices.ContainsFunc(g.Rules, func(r monitoringv1.Rule) bool { return r.Alert == want })
		}) {
			t.Errorf("no alert %s", want)
		}
	}
	if alerts == 0 {
		t.Error("no rules")
	}
}

// TestRegisteredProbe checks the probe itself: it must tell a registered name from
// another.
func TestRegisteredProbe(t *testing.T) {
	if !registered(t, "dbaas_opsrequests_total") {
		t.Error("dbaas_opsrequests_total is not seen as registered")
	}
	if registered(t, "dbaas_no_such_metric") {
		t.Error("dbaas_no_such_metric is seen as registered")
	}
}

// registered reports whether controller-runtime's registry holds a metric of that
// name: the registry refuses a second descriptor of a name it holds. A histogram's
// series (_bucket, _sum, _count) count as its name.
func registered(t *testing.T, name string) bool {
	t.Helper()
	if probe(t, name) {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && probe(t, base) {
			return true
		}
	}
	return false
}

func probe(t *testing.T, name string) bool {
	t.Helper()
	c := probeCollector{prometheus.NewDesc(name, "probe", nil, nil)}
	err := metrics.Registry.Register(c)
	if err == nil {
		metrics.Registry.Unregister(c)
		return false
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) || strings.Contains(err.Error(), "same fully-qualified name") {
		return true
	}
	t.Fatalf("probing %s: %v", name, err)
	return false
}

type probeCollector struct{ desc *prometheus.Desc }

func (p probeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }
func (p probeCollector) Collect(chan<- prometheus.Metric)    {}

func readRule(t *testing.T) *monitoringv1.PrometheusRule {
	t.Helper()
	b, err := os.ReadFile("prometheus/prometheusrule.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rule := &monitoringv1.PrometheusRule{}
	if err := yaml.UnmarshalStrict(b, rule); err != nil {
		t.Fatalf("prometheus/prometheusrule.yaml: %v", err)
	}
	return rule
}

func ruleExprs(t *testing.T) []string {
	var exprs []string
	for _, g := range readRule(t).Spec.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr.String())
		}
	}
	return exprs
}

// dashboardExprs returns every "expr" of the dashboard, in panels at any depth.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("grafana/dbaas-operator.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("grafana/dbaas-operator.json: %v", err)
	}
	var exprs []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					exprs = append(exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return exprs
}

// balanced reports a PromQL expression whose (), {} and [] do not pair, outside
// quoted strings, or whose quotes do not close.
func balanced(expr string) error {
	var stack []rune
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	var quote rune
	for _, c := range expr {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '{' || c == '[':
			stack = append(stack, c)
		case pairs[c] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return errors.New("unbalanced " + string(c))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if quote != 0 {
		return errors.New("unclosed quote")
	}
	if len(stack) != 0 {
		return errors.New("unclosed " + string(stack[len(stack)-1]))
	}
	return nil
}
