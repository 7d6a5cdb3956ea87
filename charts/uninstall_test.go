package charts

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// crdNames are the CRDs the chart installs.
var crdNames = []string{"databaseclusters.dbaas.io", "opsrequests.dbaas.io", "backupstorages.dbaas.io"}

// TestUninstallKeepsData installs the chart with helm into the real API server, with a
// DatabaseCluster in place, and uninstalls it: the operator, its RBAC and its webhooks
// go, the CRDs and the DatabaseCluster stay.
func TestUninstallKeepsData(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, dbaasv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{namespace, "shop"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	// The control plane installed the CRDs already: hand them to the release, as a
	// user does to adopt CRDs installed apart.
	for _, name := range crdNames {
		crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}}
		patch := []byte(`{"metadata":{"labels":{"app.kubernetes.io/managed-by":"Helm"},` +
			`"annotations":{"meta.helm.sh/release-name":"dbaas","meta.helm.sh/release-namespace":"` + namespace + `"}}}`)
		if err := c.Patch(ctx, crd, client.RawPatch("application/merge-patch+json", patch)); err != nil {
			t.Fatal(err)
		}
	}
	// A cluster made before the webhooks exist: no operator serves them here.
	dbc := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop"},
		Spec:       dbaasv1.DatabaseClusterSpec{Engine: "postgresql", Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")}},
	}
	if err := c.Create(ctx, dbc); err != nil {
		t.Fatal(err)
	}

	kubeconfig := "--kubeconfig=" + cluster.KubeconfigPath
	if _, err := runHelm(t, "install", "dbaas", chartDir, "--namespace", namespace, kubeconfig); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "dbaas-operator"}, &appsv1.Deployment{}); err != nil {
		t.Fatalf("after helm install: %v", err)
	}
	out, err := runHelm(t, "uninstall", "dbaas", "--namespace", namespace, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "kept due to the resource policy") {
		t.Errorf("helm uninstall does not say it kept the CRDs:\n%s", out)
	}

	for _, name := range crdNames {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil || crd.DeletionTimestamp != nil {
			t.Errorf("CRD %s after helm uninstall: %v, deleting since %v", name, err, crd.DeletionTimestamp)
		}
	}
	kept := &dbaasv1.DatabaseCluster{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(dbc), kept); err != nil || kept.UID != dbc.UID || kept.DeletionTimestamp != nil {
		t.Errorf("the DatabaseCluster after helm uninstall: %v (uid %s, was %s; deleting since %v)", err, kept.UID, dbc.UID, kept.DeletionTimestamp)
	}
	gone := map[string]client.Object{
		"Deployment dbaas-operator":                         &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "dbaas-operator"}},
		"ClusterRole dbaas-operator":                        &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "dbaas-operator"}},
		"ValidatingWebhookConfiguration dbaas-validating-…": &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "dbaas-validating-webhook-configuration"}},
		"MutatingWebhookConfiguration dbaas-mutating-…":     &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "dbaas-mutating-webhook-configuration"}},
	}
	for what, obj := range gone {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); !apierrors.IsNotFound(err) {
			t.Errorf("%s after helm uninstall: %v, want it gone", what, err)
		}
	}
}
