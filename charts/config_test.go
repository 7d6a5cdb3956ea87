package charts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// configDir holds the kustomize manifests that the chart's RBAC, CRDs and webhook
// configurations must match (hack/chartgen copies them; this test checks the
// rendered chart against config/ itself, so a hand edit of a copy fails too).
const configDir = "../config"

// readConfig reads the objects of a file of config/.
func readConfig(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, path))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return objs
}

// TestChartRBACIsConfigRBAC: each Role and ClusterRole of config/rbac, the ones
// controller-gen generates from the markers included, is rendered with the same
// rules and aggregation labels; namespaced ones in the release's namespace.
func TestChartRBACIsConfigRBAC(t *testing.T) {
	objs := render(t)
	for _, file := range []string{"rbac/role.yaml", "rbac/leader_election_role.yaml", "rbac/metrics_reader_role.yaml", "rbac/user_roles.yaml"} {
		for _, want := range readConfig(t, file) {
			got := find(t, objs, want.GetKind(), want.GetName())
			if !reflect.DeepEqual(got.Object["rules"], want.Object["rules"]) {
				t.Errorf("%s %s: the chart's rules differ from %s (run make manifests)", want.GetKind(), want.GetName(), file)
			}
			for k, v := range want.GetLabels() {
				if strings.HasPrefix(k, "rbac.authorization.k8s.io/") && got.GetLabels()[k] != v {
					t.Errorf("%s %s: label %s is %q, %s says %q", want.GetKind(), want.GetName(), k, got.GetLabels()[k], file, v)
				}
			}
			if want.GetNamespace() != "" && got.GetNamespace() != namespace {
				t.Errorf("%s %s is in namespace %q, not the release's", want.GetKind(), want.GetName(), got.GetNamespace())
			}
		}
	}
}

// TestChartWebhooksAreConfigWebhooks: the webhook configurations generated from the
// markers are rendered with the names the operator injects its CA into, every
// webhook as generated but calling the chart's Service in the release's namespace.
func TestChartWebhooksAreConfigWebhooks(t *testing.T) {
	objs := render(t)
	find(t, objs, "Service", "dbaas-webhook-service")
	for _, want := range readConfig(t, "webhook/manifests.yaml") {
		got := find(t, objs, want.GetKind(), "dbaas-"+want.GetName())
		wantHooks, _, _ := unstructured.NestedSlice(want.Object, "webhooks")
		for _, h := range wantHooks {
			svc := h.(map[string]any)["clientConfig"].(map[string]any)["service"].(map[string]any)
			svc["name"], svc["namespace"] = "dbaas-webhook-service", namespace
		}
		gotHooks, _, _ := unstructured.NestedSlice(got.Object, "webhooks")
		if len(wantHooks) == 0 || !reflect.DeepEqual(gotHooks, wantHooks) {
			t.Errorf("%s %s: the chart's webhooks differ from config/webhook/manifests.yaml (run make manifests):\ngot  %v\nwant %v", got.GetKind(), got.GetName(), gotHooks, wantHooks)
		}
	}
}

// TestChartCRDsAreConfigCRDs: the chart installs the CRDs of config/crd/bases, with
// the same spec.
func TestChartCRDsAreConfigCRDs(t *testing.T) {
	objs := render(t)
	bases, err := filepath.Glob(filepath.Join(configDir, "crd", "bases", "*.yaml"))
	if err != nil || len(bases) == 0 {
		t.Fatalf("no CRDs in config/crd/bases: %v", err)
	}
	for _, f := range bases {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want unstructured.Unstructured
		if err := yaml.Unmarshal(b, &want.Object); err != nil {
			t.Fatal(err)
		}
		got := find(t, objs, "CustomResourceDefinition", want.GetName())
		if !reflect.DeepEqual(got.Object["spec"], want.Object["spec"]) {
			t.Errorf("CRD %s: the chart's spec differs from %s (run make manifests)", want.GetName(), f)
		}
	}
}
