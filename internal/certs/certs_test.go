package certs

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/devcluster"
)

// TestEnsureProvisionsAndReuses runs against a real API server: the first call
// creates the Secret, writes a usable key pair and injects the CA; a second call
// (another replica, or a restart) reuses the same certificate.
func TestEnsureProvisionsAndReuses(t *testing.T) {
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dbaas-system"}}); err != nil {
		t.Fatal(err)
	}
	none := admissionv1.SideEffectClassNone
	vwc := &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "dbaas-validating-webhook-configuration"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name: "vdatabasecluster.dbaas.io", SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "dbaas-system", Name: "dbaas-webhook-service"}},
		}},
	}
	if err := c.Create(ctx, vwc); err != nil {
		t.Fatal(err)
	}
	o := Options{Namespace: "dbaas-system", SecretName: "dbaas-webhook-cert", ServiceName: "dbaas-webhook-service",
		WebhookConfiguration: vwc.Name, CertDir: t.TempDir()}

	if err := Ensure(ctx, c, o); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(o.CertDir, "tls.crt"), filepath.Join(o.CertDir, "tls.key")); err != nil {
		t.Fatalf("the written key pair is unusable: %v", err)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: o.SecretName}, secret); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: vwc.Name}, vwc); err != nil {
		t.Fatal(err)
	}
	if string(vwc.Webhooks[0].ClientConfig.CABundle) != string(secret.Data["ca.crt"]) {
		t.Fatal("the CA was not injected into the webhook configuration")
	}

	second := o
	second.CertDir = t.TempDir()
	if err := Ensure(ctx, c, second); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(o.CertDir, "tls.crt"))
	again, _ := os.ReadFile(filepath.Join(second.CertDir, "tls.crt"))
	if string(first) != string(again) {
		t.Fatal("a second replica issued a new certificate instead of reusing the Secret")
	}
}

// TestValidRenewsExpiringCertificates: a certificate close to expiry is not valid.
func TestValidRenewsExpiringCertificates(t *testing.T) {
	o := Options{Namespace: "ns", ServiceName: "svc", Validity: time.Hour}
	data, err := issue(o)
	if err != nil {
		t.Fatal(err)
	}
	if !valid(data, o) {
		t.Fatal("a fresh certificate is not valid")
	}
	o.Validity = 100 * 365 * 24 * time.Hour // under a tenth of this is left
	if valid(data, o) {
		t.Fatal("a certificate close to expiry is still valid")
	}
	if valid(data, Options{Namespace: "other", ServiceName: "svc", Validity: time.Hour}) {
		t.Fatal("a certificate for another Service is valid")
	}
}
