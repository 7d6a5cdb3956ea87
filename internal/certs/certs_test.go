package certs

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/devcluster"
)

// TestEnsureProvisionsReusesAndRotates runs against a real API server: the first
// call creates the Secret, writes a usable key pair and injects the CA; a second
// call (another replica, or a restart) reuses the same certificate. Near expiry
// (a fake clock) one replica renews: the webhook configuration trusts the new and
// the old CA, so the other replica, still serving the old certificate, is trusted
// until its Rotator picks up the new one.
func TestEnsureProvisionsReusesAndRotates(t *testing.T) {
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
	clock := clocktesting.NewFakePassiveClock(time.Now())
	o := Options{Namespace: "dbaas-system", SecretName: "dbaas-webhook-cert", ServiceName: "dbaas-webhook-service",
		WebhookConfiguration: vwc.Name, CertDir: t.TempDir(), Clock: clock}

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

	// Near expiry, the first replica renews.
	clock.SetTime(clock.Now().Add(95 * 365 * day / 10)) // 9.5 of the 10 years
	if err := Ensure(ctx, c, o); err != nil {
		t.Fatal(err)
	}
	renewed, _ := os.ReadFile(filepath.Join(o.CertDir, "tls.crt"))
	if string(renewed) == string(first) {
		t.Fatal("a certificate near expiry was not renewed")
	}
	if err := c.Get(ctx, client.ObjectKey{Name: vwc.Name}, vwc); err != nil {
		t.Fatal(err)
	}
	caBundle := vwc.Webhooks[0].ClientConfig.CABundle
	if n := len(bundle(t, map[string][]byte{"ca.crt": caBundle})); n != 2 {
		t.Fatalf("the webhook configuration trusts %d CAs after the renewal, want the new and the old", n)
	}
	trusted(t, caBundle, renewed, o, clock.Now())
	trusted(t, caBundle, again, o, clock.Now())

	// The second replica's Rotator picks up the renewed certificate.
	rotated, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &Rotator{Client: c, Options: second, Interval: 50 * time.Millisecond, Log: testr.New(t)}
	go func() { _ = r.Start(rotated) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		served, _ := os.ReadFile(filepath.Join(second.CertDir, "tls.crt"))
		if string(served) == string(renewed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second replica's Rotator did not pick up the renewed certificate")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
