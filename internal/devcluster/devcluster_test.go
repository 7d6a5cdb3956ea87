package devcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/childcrds"
)

// cluster is the control plane shared by the tests of this package.
var cluster *Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts the control plane, with the webhooks when config/webhook has any and
// with the controller manager, runs the tests and stops it.
func run(m *testing.M) int {
	root, err := childcrds.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, statErr := os.Stat(filepath.Join(root, "config", "webhook", "manifests.yaml"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err = Start(ctx, Options{Webhooks: statErr == nil, ControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

// servedKinds are the kinds of our CRDs and of the child CRDs that the control plane
// must serve, with their plural resource names.
var servedKinds = map[string]struct {
	gvk      schema.GroupVersionKind
	resource string
}{
	"DatabaseCluster":       {schema.GroupVersionKind{Group: "dbaas.io", Version: "v1alpha1", Kind: "DatabaseCluster"}, "databaseclusters"},
	"OpsRequest":            {schema.GroupVersionKind{Group: "dbaas.io", Version: "v1alpha1", Kind: "OpsRequest"}, "opsrequests"},
	"CloudNativePG Cluster": {schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"}, "clusters"},
	"PerconaServerMongoDB":  {schema.GroupVersionKind{Group: "psmdb.percona.com", Version: "v1", Kind: "PerconaServerMongoDB"}, "perconaservermongodbs"},
	"PerconaXtraDBCluster":  {schema.GroupVersionKind{Group: "pxc.percona.com", Version: "v1", Kind: "PerconaXtraDBCluster"}, "perconaxtradbclusters"},
	"Strimzi Kafka":         {schema.GroupVersionKind{Group: "kafka.strimzi.io", Version: "v1beta2", Kind: "Kafka"}, "kafkas"},
	"Strimzi KafkaNodePool": {schema.GroupVersionKind{Group: "kafka.strimzi.io", Version: "v1beta2", Kind: "KafkaNodePool"}, "kafkanodepools"},
	"Strimzi KafkaUser":     {schema.GroupVersionKind{Group: "kafka.strimzi.io", Version: "v1beta2", Kind: "KafkaUser"}, "kafkausers"},
}

// TestCRDsServed checks that our CRDs and the child CRDs are served and listable.
func TestCRDsServed(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range servedKinds {
		t.Run(name, func(t *testing.T) {
			resources, err := dc.ServerResourcesForGroupVersion(tc.gvk.GroupVersion().String())
			if err != nil {
				t.Fatalf("discovery of %s: %v", tc.gvk.GroupVersion(), err)
			}
			served := slices.ContainsFunc(resources.APIResources, func(r metav1.APIResource) bool {
				return r.Name == tc.resource && r.Kind == tc.gvk.Kind
			})
			if !served {
				t.Fatalf("%s is not served as %s", tc.gvk, tc.resource)
			}
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(tc.gvk.GroupVersion().WithKind(tc.gvk.Kind + "List"))
			if err := c.List(t.Context(), list, client.InNamespace("default")); err != nil {
				t.Fatalf("cannot list %s: %v", tc.resource, err)
			}
		})
	}
}

// TestGeneratedCRDsApplyAndStatus checks that the CRDs generated from Go types
// (Strimzi's) take what the operator does with them: a server-side apply of the
// spec, then a patch of the status subresource that the status mapping reads back.
// The structural schemas must keep the fields, not prune them.
func TestGeneratedCRDsApplyAndStatus(t *testing.T) {
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		obj    map[string]any
		status map[string]any
		// keep are paths that apply and the status patch must leave in the object.
		keep [][]string
	}{
		"Kafka": {
			obj: map[string]any{
				"apiVersion": "kafka.strimzi.io/v1beta2",
				"kind":       "Kafka",
				"metadata": map[string]any{
					"name":        "events",
					"namespace":   "default",
					"annotations": map[string]any{"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"},
				},
				"spec": map[string]any{
					"kafka": map[string]any{
						"version":   "3.9.0",
						"listeners": []any{map[string]any{"name": "plain", "port": int64(9092), "type": "internal", "tls": false}},
						"config":    map[string]any{"min.insync.replicas": int64(2)},
					},
					"entityOperator": map[string]any{"topicOperator": map[string]any{}},
				},
			},
			status: map[string]any{
				"observedGeneration": int64(1),
				"clusterId":          "abc",
				"conditions":         []any{map[string]any{"type": "Ready", "status": "True"}},
				"listeners":          []any{map[string]any{"name": "plain", "bootstrapServers": "events-kafka-bootstrap.default.svc:9092"}},
			},
			keep: [][]string{
				{"spec", "kafka", "config", "min.insync.replicas"},
				{"spec", "kafka", "listeners"},
				{"status", "conditions"},
				{"status", "listeners"},
			},
		},
		"KafkaNodePool": {
			obj: map[string]any{
				"apiVersion": "kafka.strimzi.io/v1beta2",
				"kind":       "KafkaNodePool",
				"metadata": map[string]any{
					"name":      "events-pool",
					"namespace": "default",
					"labels":    map[string]any{"strimzi.io/cluster": "events"},
				},
				"spec": map[string]any{
					"replicas": int64(3),
					"roles":    []any{"controller", "broker"},
					"storage": map[string]any{"type": "jbod", "volumes": []any{
						map[string]any{"id": int64(0), "type": "persistent-claim", "size": "10Gi", "deleteClaim": false},
					}},
					"resources": map[string]any{"requests": map[string]any{"cpu": "1", "memory": "2Gi"}},
				},
			},
			status: map[string]any{
				"observedGeneration": int64(1),
				"replicas":           int64(3),
				"nodeIds":            []any{int64(0), int64(1), int64(2)},
				"roles":              []any{"controller", "broker"},
			},
			keep: [][]string{
				{"spec", "resources", "requests", "memory"},
				{"spec", "storage", "volumes"},
				{"status", "nodeIds"},
				{"status", "replicas"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: tc.obj}
			if err := c.Apply(t.Context(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("dbaas-operator"), client.ForceOwnership); err != nil {
				t.Fatalf("server-side apply: %v", err)
			}
			patch := &unstructured.Unstructured{Object: map[string]any{"status": tc.status}}
			patch.SetGroupVersionKind(u.GroupVersionKind())
			patch.SetName(u.GetName())
			patch.SetNamespace(u.GetNamespace())
			if err := c.Status().Patch(t.Context(), patch, client.Merge); err != nil {
				t.Fatalf("status patch: %v", err)
			}
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(u.GroupVersionKind())
			if err := c.Get(t.Context(), client.ObjectKeyFromObject(u), got); err != nil {
				t.Fatal(err)
			}
			for _, path := range tc.keep {
				if _, found, err := unstructured.NestedFieldNoCopy(got.Object, path...); err != nil || !found {
					t.Errorf("%s was pruned or lost (err %v): %v", strings.Join(path, "."), err, got.Object)
				}
			}
			if err := c.Delete(t.Context(), got); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("schema", func(t *testing.T) {
		// The schemas come from the types, not from preserve-unknown-fields: a
		// string where the type has an int32 is refused.
		bad := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kafka.strimzi.io/v1beta2",
			"kind":       "KafkaNodePool",
			"metadata":   map[string]any{"name": "bad", "namespace": "default"},
			"spec": map[string]any{
				"replicas": "three",
				"roles":    []any{"broker"},
				"storage":  map[string]any{"type": "ephemeral"},
			},
		}}
		err := c.Create(t.Context(), bad, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), "spec.replicas") {
			t.Fatalf("got error %v, want one about spec.replicas", err)
		}
	})
}

// TestKubectl checks that the real kubectl works with the written kubeconfig.
func TestKubectl(t *testing.T) {
	kubectl, err := KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), kubectl, "--kubeconfig", cluster.KubeconfigPath, "get", "crd", "-o", "name")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get crd: %v\n%s", err, out)
	}
	names := strings.Fields(string(out))
	for _, k := range servedKinds {
		want := "customresourcedefinition.apiextensions.k8s.io/" + k.resource + "." + k.gvk.Group
		if !slices.Contains(names, want) {
			t.Errorf("kubectl get crd does not list %s:\n%s", want, out)
		}
	}
}

// TestKubectlApplyDefault checks that the operator's deployment manifests render and
// pass the API server's validation (server-side dry run, apart from the namespace).
func TestKubectlApplyDefault(t *testing.T) {
	kubectl, err := KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		args = append([]string{"--kubeconfig", cluster.KubeconfigPath}, args...)
		out, err := exec.CommandContext(t.Context(), kubectl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("create", "namespace", "dbaas-system")
	run("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", filepath.Join(root, "config", "default"))
}

// TestWebhooks checks the webhook serving details when webhooks were installed.
func TestWebhooks(t *testing.T) {
	if len(cluster.Env.WebhookInstallOptions.ValidatingWebhooks) == 0 {
		t.Skip("config/webhook/manifests.yaml holds no validating webhooks yet")
	}
	if cluster.WebhookHost == "" || cluster.WebhookPort == 0 {
		t.Errorf("webhook address %s:%d is not set", cluster.WebhookHost, cluster.WebhookPort)
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		if _, err := os.Stat(filepath.Join(cluster.WebhookCertDir, name)); err != nil {
			t.Errorf("webhook serving certificate: %v", err)
		}
	}
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var list admissionregistrationv1.ValidatingWebhookConfigurationList
	if err := c.List(t.Context(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 {
		t.Fatal("no ValidatingWebhookConfiguration installed")
	}
}

// TestMissingBinaries checks that Start explains how to build missing binaries.
func TestMissingBinaries(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", t.TempDir())
	_, err := Start(t.Context(), Options{})
	if err == nil || !strings.Contains(err.Error(), "make k8s-bin") {
		t.Fatalf("got error %v, want one that says to run make k8s-bin", err)
	}
}
