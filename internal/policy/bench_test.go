package policy

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/policies"
)

// uncached loads the shipped policies without the decision cache, so benchmarks measure
// evaluations.
func uncached(b *testing.B) *Set {
	s, err := Load(policies.FS, WithDecisionCache(0))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkEvalCluster evaluates a typical cluster: eight parameters, a proxy, two
// rendered objects. The input is a map, as from an unstructured object.
func BenchmarkEvalCluster(b *testing.B) {
	in := typicalCluster(b)
	b.Run("uncached", func(b *testing.B) {
		s := uncached(b)
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalCluster(ctx, in) })
	})
	b.Run("cached", func(b *testing.B) {
		s := embedded(b)
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalCluster(ctx, in) })
	})
	b.Run("uncached no config", func(b *testing.B) {
		s := uncached(b)
		in := ClusterInput{Cluster: pgCluster(b, config()), Engine: pgEngine}
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalCluster(ctx, in) })
	})
}

func typicalCluster(b testing.TB) ClusterInput {
	return ClusterInput{
		Cluster: pgCluster(b,
			config("max_connections", "300", "shared_buffers", "1GB", "work_mem", "16MB",
				"max_wal_size", "4GB", "min_wal_size", "1GB", "log_statement", "ddl",
				"statement_timeout", "30s", "random_page_cost", "1.1"),
			set(map[string]any{"type": "external", "ipSourceRanges": []any{"10.0.0.0/8"}}, "spec", "proxy", "expose")),
		Engine: pgEngine,
		Rendered: []any{
			object(b, `{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "orders", "namespace": "shop"}, "spec": {"instances": 3}}`),
			object(b, `{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler", "metadata": {"name": "orders-rw", "namespace": "shop"}, "spec": {"instances": 2}}`),
		},
		Namespace: Namespace{Name: "shop", Labels: map[string]string{"dbaas.io/tier": "standard"}},
	}
}

// BenchmarkEvalClusterTyped evaluates a Go API object, which goes through JSON.
func BenchmarkEvalClusterTyped(b *testing.B) {
	s := uncached(b)
	size := int32(3)
	c := &v1alpha1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop"},
		Spec: v1alpha1.DatabaseClusterSpec{
			Engine: "postgresql", Version: "16", ClusterSize: &size,
			Storage: v1alpha1.Storage{Size: resource.MustParse("20Gi")},
			Config: []v1alpha1.ConfigParameter{
				{Name: "max_connections", Value: "300"}, {Name: "shared_buffers", Value: "1GB"},
				{Name: "work_mem", Value: "16MB"}, {Name: "max_wal_size", Value: "4GB"},
			},
		},
	}
	in := ClusterInput{Cluster: c, Engine: pgEngine}
	benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalCluster(ctx, in) })
}

// BenchmarkEvalOps evaluates a Reconfiguring op, the costliest: it runs the config rules
// over the merged config.
func BenchmarkEvalOps(b *testing.B) {
	ops := object(b, `{"apiVersion": "dbaas.io/v1alpha1", "kind": "OpsRequest", "metadata": {"name": "op", "namespace": "shop"},
		"spec": {"clusterRef": "orders", "type": "Reconfiguring", "reconfiguring": {"config": [
			{"name": "work_mem", "value": "32MB"}, {"name": "min_wal_size", "value": "1GB"}]}}}`)
	// The engine's merge of the new parameters into the cluster's config.
	patch := object(b, `{"config": [{"name": "max_connections", "value": "300"}, {"name": "max_wal_size", "value": "2GB"},
		{"name": "work_mem", "value": "32MB"}, {"name": "min_wal_size", "value": "1GB"}]}`)
	in := OpsInput{Ops: ops, Cluster: pgCluster(b), Engine: pgEngine, Namespace: Namespace{Name: "shop"}, SpecPatch: patch}
	b.Run("uncached", func(b *testing.B) {
		s := uncached(b)
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalOps(ctx, in) })
	})
	b.Run("cached", func(b *testing.B) {
		s := embedded(b)
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalOps(ctx, in) })
	})
	b.Run("uncached restart", func(b *testing.B) {
		s := uncached(b)
		ops := object(b, `{"metadata": {"name": "op"}, "spec": {"clusterRef": "orders", "type": "Restart"}}`)
		in := OpsInput{Ops: ops, Cluster: pgCluster(b), Engine: pgEngine}
		benchmarkEval(b, func(ctx context.Context) (Decision, error) { return s.EvalOps(ctx, in) })
	})
}

func benchmarkEval(b *testing.B, eval func(context.Context) (Decision, error)) {
	ctx := context.Background()
	d, err := eval(ctx)
	if err != nil || !d.Allowed() {
		b.Fatalf("sample not allowed: %v %v", d, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eval(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
