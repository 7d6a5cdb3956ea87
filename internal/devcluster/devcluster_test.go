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

// run starts the control plane, with the webhooks when config/webhook has any, runs
// the tests and stops it.
func run(m *testing.M) int {
	root, err := childcrds.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, statErr := os.Stat(filepath.Join(root, "config", "webhook", "manifests.yaml"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cluster, err = Start(ctx, Options{Webhooks: statErr == nil})
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

// TestCRDsServed checks that our CRDs and the child CRDs are served and listable.
func TestCRDsServed(t *testing.T) {
	tests := map[string]struct {
		// gvk is a kind that must be served.
		gvk schema.GroupVersionKind
		// resource is its plural resource name.
		resource string
	}{
		"DatabaseCluster": {
			gvk:      schema.GroupVersionKind{Group: "dbaas.io", Version: "v1alpha1", Kind: "DatabaseCluster"},
			resource: "databaseclusters",
		},
		"OpsRequest": {
			gvk:      schema.GroupVersionKind{Group: "dbaas.io", Version: "v1alpha1", Kind: "OpsRequest"},
			resource: "opsrequests",
		},
		"CloudNativePG Cluster": {
			gvk:      schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"},
			resource: "clusters",
		},
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cluster.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
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
	for _, want := range []string{
		"customresourcedefinition.apiextensions.k8s.io/databaseclusters.dbaas.io",
		"customresourcedefinition.apiextensions.k8s.io/opsrequests.dbaas.io",
		"customresourcedefinition.apiextensions.k8s.io/clusters.postgresql.cnpg.io",
	} {
		if !slices.Contains(strings.Fields(string(out)), want) {
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
