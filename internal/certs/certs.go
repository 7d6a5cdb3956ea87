// Package certs provisions the webhook serving certificate in a real cluster, so the
// operator needs no cert-manager and no manual step: a self-signed CA and a serving
// certificate are kept in a Secret (shared by every replica), written to the webhook
// server's certificate folder, and the CA is injected into the webhook configuration.
package certs

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Options name what to provision.
type Options struct {
	// Namespace of the operator, its Secret and its webhook Service.
	Namespace string
	// SecretName holds ca.crt, tls.crt and tls.key.
	SecretName string
	// ServiceName is the webhook Service; the certificate is valid for its DNS names.
	ServiceName string
	// WebhookConfiguration is the ValidatingWebhookConfiguration to inject the CA into.
	WebhookConfiguration string
	// MutatingWebhookConfiguration is the MutatingWebhookConfiguration to inject the
	// CA into; none when empty.
	MutatingWebhookConfiguration string
	// CertDir is where the webhook server reads tls.crt and tls.key.
	CertDir string
	// Validity of the certificates. Default: ten years; renewed when under a year is left.
	Validity time.Duration
}

// +kubebuilder:rbac:groups="",namespace=dbaas-system,resources=secrets,verbs=get;create;update
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations;mutatingwebhookconfigurations,verbs=get;patch,resourceNames=dbaas-validating-webhook-configuration;dbaas-mutating-webhook-configuration

// Ensure makes sure the Secret holds a valid certificate for the Service, writes it
// to CertDir and injects the CA into the webhook configuration.
func Ensure(ctx context.Context, c client.Client, o Options) error {
	if o.Validity == 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	secret := &corev1.Secret{}
	err := c.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: o.SecretName}, secret)
	switch {
	case apierrors.IsNotFound(err):
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: o.SecretName}}
		if secret.Data, err = issue(o); err != nil {
			return err
		}
		if err := c.Create(ctx, secret); err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("cannot create Secret %s: %w", o.SecretName, err)
			}
			// Another replica won the race: use its certificate.
			if err := c.Get(ctx, client.ObjectKey{Namespace: o.Namespace, Name: o.SecretName}, secret); err != nil {
				return err
			}
		}
	case err != nil:
		return fmt.Errorf("cannot read Secret %s: %w", o.SecretName, err)
	case !valid(secret.Data, o):
		if secret.Data, err = issue(o); err != nil {
			return err
		}
		if err := c.Update(ctx, secret); err != nil {
			return fmt.Errorf("cannot renew Secret %s: %w", o.SecretName, err)
		}
	}
	if err := write(o.CertDir, secret.Data); err != nil {
		return err
	}
	if err := inject(ctx, c, &admissionv1.ValidatingWebhookConfiguration{}, "ValidatingWebhookConfiguration", o.WebhookConfiguration, secret.Data["ca.crt"]); err != nil {
		return err
	}
	if o.MutatingWebhookConfiguration == "" {
		return nil
	}
	return inject(ctx, c, &admissionv1.MutatingWebhookConfiguration{}, "MutatingWebhookConfiguration", o.MutatingWebhookConfiguration, secret.Data["ca.crt"])
}

// issue creates a CA and a serving certificate signed by it.
func issue(o Options) (map[string][]byte, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "dbaas-operator webhook CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("cannot create the webhook CA: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano() + 1),
		Subject:      pkix.Name{CommonName: dnsNames(o)[0]},
		DNSNames:     dnsNames(o),
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(o.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("cannot create the webhook certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"ca.crt":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// valid reports whether data holds a certificate for the Service with more than a
// tenth of its validity left.
func valid(data map[string][]byte, o Options) bool {
	block, _ := pem.Decode(data["tls.crt"])
	if block == nil || len(data["tls.key"]) == 0 || len(data["ca.crt"]) == 0 {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || time.Until(cert.NotAfter) < o.Validity/10 {
		return false
	}
	return cert.VerifyHostname(dnsNames(o)[0]) == nil
}

func dnsNames(o Options) []string {
	return []string{
		fmt.Sprintf("%s.%s.svc", o.ServiceName, o.Namespace),
		fmt.Sprintf("%s.%s.svc.cluster.local", o.ServiceName, o.Namespace),
	}
}

// write puts tls.crt and tls.key where the webhook server reads them.
func write(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the certificate folder: %w", err)
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		if err := os.WriteFile(filepath.Join(dir, name), data[name], 0o600); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
	}
	return nil
}

// inject sets the CA bundle of every webhook of a validating or mutating
// configuration.
func inject(ctx context.Context, c client.Client, obj client.Object, kind, name string, ca []byte) error {
	if err := c.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
		return fmt.Errorf("cannot read %s %s: %w", kind, name, err)
	}
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	changed := false
	set := func(cc *admissionv1.WebhookClientConfig) {
		if !bytes.Equal(cc.CABundle, ca) {
			cc.CABundle = ca
			changed = true
		}
	}
	switch cfg := obj.(type) {
	case *admissionv1.ValidatingWebhookConfiguration:
		for i := range cfg.Webhooks {
			set(&cfg.Webhooks[i].ClientConfig)
		}
	case *admissionv1.MutatingWebhookConfiguration:
		for i := range cfg.Webhooks {
			set(&cfg.Webhooks[i].ClientConfig)
		}
	}
	if !changed {
		return nil
	}
	if err := c.Patch(ctx, obj, patch); err != nil {
		return fmt.Errorf("cannot inject the CA into %s %s: %w", kind, name, err)
	}
	return nil
}
