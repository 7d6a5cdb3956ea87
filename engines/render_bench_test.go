package engines_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	cnpgv1 "github.com/cloudnative-pg/cloudnative-pg/api/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// BenchmarkRender measures one render of a full-featured cluster (proxy, backup,
// monitoring, scheduling, config) per engine:
//
//   - cold: load and compile the engine, then render;
//   - cached: render with the compiled engine, a different cluster each time;
//   - cached-parallel: the same from GOMAXPROCS goroutines at once (ns/op is per
//     render, so on two CPUs a pool of two instances halves it at best);
//   - memoized: render the same cluster again (the steady state of a reconcile);
//   - native-go (postgresql): build the same CNPG Cluster from Go types and convert it
//     to an unstructured object, the baseline a hand-written operator pays.
func BenchmarkRender(b *testing.B) {
	for _, engine := range []string{"postgresql", "mongodb", "mysql", "kafka"} {
		c, in := benchCluster(b, engine+"/testdata/full")
		b.Run(engine+"/cold", func(b *testing.B) {
			for b.Loop() {
				r, err := render.NewRegistry(engines.FS(), "")
				if err != nil {
					b.Fatal(err)
				}
				e, _ := r.Get(engine)
				if _, err := e.Render(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		e, _ := registry(b).Get(engine)
		b.Run(engine+"/cached", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				c.Name = fmt.Sprintf("bench-%d", i)
				in, err := provider.ClusterInput(c)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Render(render.Input{Cluster: in}); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Reconciles, operations and webhooks render in parallel: each goroutine
		// renders new clusters, on as many compiled instances as there are CPUs.
		b.Run(engine+"/cached-parallel", func(b *testing.B) {
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				c := c.DeepCopy()
				for pb.Next() {
					c.Name = fmt.Sprintf("bench-parallel-%d", n.Add(1))
					in, err := provider.ClusterInput(c)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := e.Render(render.Input{Cluster: in}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(engine+"/memoized", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Render(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("postgresql/native-go", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := runtime.DefaultUnstructuredConverter.ToUnstructured(nativeCluster(fmt.Sprintf("bench-%d", i))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchCluster reads a golden case's input for benchmarks.
func benchCluster(b *testing.B, dir string) (*dbaasv1.DatabaseCluster, render.Input) {
	b.Helper()
	return readCluster(b, dir)
}

// nativeCluster builds, with CloudNativePG's Go types, the Cluster the postgresql
// engine renders for testdata/full.
func nativeCluster(name string) *cnpgv1.Cluster {
	return &cnpgv1.Cluster{
		TypeMeta: metav1.TypeMeta{APIVersion: "postgresql.cnpg.io/v1", Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": name},
			Annotations: map[string]string{"cnpg.io/hibernation": "off"},
		},
		Spec: cnpgv1.ClusterSpec{
			Instances: 3,
			ImageName: "ghcr.io/cloudnative-pg/postgresql:16.10",
			StorageConfiguration: cnpgv1.StorageConfiguration{
				Size:         "20Gi",
				StorageClass: ptr("fast-ssd"),
			},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("2Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
			},
			PostgresConfiguration: cnpgv1.PostgresConfiguration{Parameters: map[string]string{"max_connections": "300"}},
			//lint:ignore SA1019 the engine renders this field too (CloudNativePG 1.30 still honours it)
			Monitoring: &cnpgv1.MonitoringConfiguration{EnablePodMonitor: true},
			Affinity: cnpgv1.AffinityConfiguration{
				EnablePodAntiAffinity: ptr(true),
				TopologyKey:           "kubernetes.io/hostname",
				PodAntiAffinityType:   "required",
				NodeSelector:          map[string]string{"disktype": "ssd"},
				Tolerations:           []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// BenchmarkStatusAndOperation measures, per engine, the other two evaluations a
// cluster's life repeats with a new input each time: its status mapping (every
// reconcile whose children changed) and an operation (every change an operation
// observes), on the minimal cluster. Each evaluates only the part of the engine it
// refers to, not the stages.
func BenchmarkStatusAndOperation(b *testing.B) {
	for _, engine := range []string{"postgresql", "mongodb", "mysql", "kafka"} {
		c, _ := benchCluster(b, engine+"/testdata/minimal")
		e, _ := registry(b).Get(engine)
		input := func(i int) render.Input {
			c.Name = fmt.Sprintf("bench-%d", i)
			in, err := provider.ClusterInput(c)
			if err != nil {
				b.Fatal(err)
			}
			return render.Input{Cluster: in}
		}
		b.Run(engine+"/status", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				if _, err := e.Status(input(i), map[string]map[string]any{}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(engine+"/operation", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				request := map[string]any{
					"metadata": map[string]any{"name": "scale", "namespace": "default"},
					"spec":     map[string]any{"clusterRef": c.Name, "type": "HorizontalScaling", "horizontalScaling": map[string]any{"replicas": 3}},
				}
				if _, err := e.Operation(input(i), render.OpsInput{Request: request}, "HorizontalScaling"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
