package provider

import (
	"context"
	"reflect"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestLookupsHoldWhatTheEngineReads: postgresql reads its own Cluster's image and
// external clusters (requires.existingCluster.fields), so the child operator writing
// the Cluster's status changes no input and costs no evaluation, and writing the
// cluster's own status costs one (the render's), not two: requires is evaluated
// from the spec alone.
func TestLookupsHoldWhatTheEngineReads(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&Factory{Registry: reg}).Get("postgresql")
	if err != nil {
		t.Fatal(err)
	}
	child := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": "orders", "namespace": "ns", "labels": map[string]any{"dbaas.io/cluster": "orders"}},
		"spec":     map[string]any{"instances": int64(1), "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4"},
	}}
	c := fake.NewClientBuilder().WithObjects(child).Build()
	cluster := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "ns"},
		Spec:       dbaasv1.DatabaseClusterSpec{Engine: "postgresql", Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")}},
	}
	ctx := context.Background()
	prepare := func() *Prepared {
		t.Helper()
		prepared, err := p.PreReconcileHook(ctx, c, cluster)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.GetApplier(prepared); err != nil {
			t.Fatal(err)
		}
		return prepared
	}

	before := renders(t)
	first := prepare()
	if got := renders(t) - before; got != 2 {
		t.Errorf("the first reconcile evaluated %d times, want 2: the requires, then the render with the lookup", got)
	}
	want := map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": "orders"},
		"spec":     map[string]any{"imageName": "ghcr.io/cloudnative-pg/postgresql:16.4"},
	}
	if got := first.Input.Context.Lookups["existingCluster"]; !reflect.DeepEqual(got, want) {
		t.Errorf("lookup %v, want only the fields the engine reads: %v", got, want)
	}

	// CloudNativePG writes the Cluster's status: a new resourceVersion, nothing the
	// engine reads.
	child.Object["status"] = map[string]any{"phase": "Cluster in healthy state", "readyInstances": int64(1)}
	if err := c.Update(ctx, child); err != nil {
		t.Fatal(err)
	}
	before = renders(t)
	if again := prepare(); !reflect.DeepEqual(again.Input, first.Input) {
		t.Errorf("the child's status changed the input:\n%v\nwas\n%v", again.Input, first.Input)
	}
	if got := renders(t) - before; got != 0 {
		t.Errorf("a reconcile after the child's status write evaluated %d times, want 0", got)
	}

	// The operator records the version it applied: the render's input changes, the
	// requires' does not.
	cluster.Status.Version = "16"
	before = renders(t)
	prepare()
	if got := renders(t) - before; got != 1 {
		t.Errorf("a reconcile after the cluster's status write evaluated %d times, want 1 (the render)", got)
	}

	// An image the engine reads does change the input.
	if err := c.Get(ctx, client.ObjectKeyFromObject(child), child); err != nil {
		t.Fatal(err)
	}
	child.Object["spec"].(map[string]any)["imageName"] = "ghcr.io/cloudnative-pg/postgresql:16.6"
	if err := c.Update(ctx, child); err != nil {
		t.Fatal(err)
	}
	got := prepare().Input.Context.Lookups["existingCluster"]
	if image, _, _ := unstructured.NestedString(got, "spec", "imageName"); image != "ghcr.io/cloudnative-pg/postgresql:16.6" {
		t.Errorf("lookup %v, want the new image", got)
	}
}

// TestLookupWithoutFields: a reference without fields passes the whole object but
// its resourceVersion and managed fields, with a Secret's values blanked.
func TestLookupWithoutFields(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s3", "resourceVersion": "42", "annotations": map[string]any{"a": "b"},
			"managedFields": []any{map[string]any{"manager": "kubectl"}}},
		"data": map[string]any{"accessKey": "c2VjcmV0"},
	}}
	want := map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s3", "annotations": map[string]any{"a": "b"}},
		"data":     map[string]any{"accessKey": ""},
	}
	if got, err := lookupInput(u, nil); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v (%v), want %v", got, err, want)
	}
	// Fields that the object lacks are left out; the object still shows.
	want = map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s3"}}
	if got, err := lookupInput(u, []string{"spec.missing", "data.accessKey.deeper"}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v (%v), want %v", got, err, want)
	}
	// A field and one inside it: the inner one is already there.
	want = map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s3"}, "data": map[string]any{"accessKey": ""}}
	if got, err := lookupInput(u, []string{"data", "data.accessKey"}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v (%v), want %v", got, err, want)
	}
	if u.Object["data"].(map[string]any)["accessKey"] != "c2VjcmV0" {
		t.Error("the lookup changed the object it was made from")
	}
}

// renders returns how many render evaluations postgresql ran in this process, from
// the operator's metric.
func renders(t *testing.T) uint64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "dbaas_render_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			if labels(m)["engine"] == "postgresql" && labels(m)["stage"] == "render" {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
