// Package certs provisions the webhook serving certificate in a real cluster, so the
// operator needs no cert-manager and no manual step: a self-signed CA and a serving
// certificate are kept in a Secret (shared by every replica), written to the webhook
// server's certificate folder, and the CA bundle is injected into the webhook
// configurations. Rotation keeps the earlier CAs in the bundle until they expire
// (see next), so no replica serves a certificate the API server does not trust.
package certs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Options name what to provision.
type Options struct {
	// Namespace of the operator, its Secret and its webhook Service.
	Namespace string
	// SecretName holds ca.crt (the CA bundle), tls.crt and tls.key.
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
	// Validity of the certificates. Default: ten years; renewed when under a tenth
	// of it is left.
	Validity time.Duration
	// Clock tells the time of issue, renewal and expiry. Default: the real clock.
	Clock clock.PassiveClock
}

func (o *Options) defaults() {
	if o.Validity == 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
}

// conflictRetries bounds how often Ensure starts over when another replica wrote
// the Secret between its read and its write.
const conflictRetries = 3

// +kubebuilder:rbac:groups="",namespace=dbaas-system,resources=secrets,verbs=get;create;update
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations;mutatingwebhookconfigurations,verbs=get;patch,resourceNames=dbaas-validating-webhook-configuration;dbaas-mutating-webhook-configuration

// Ensure makes sure the Secret holds a valid certificate for the Service (renewing
// it, or dropping expired CAs from its bundle, when due), injects the CA bundle into
// the webhook configurations, and then writes the certificate to CertDir. In that
// order: the API server trusts a new CA before this replica serves a certificate
// signed by it.
func Ensure(ctx context.Context, c client.Client, o Options) error {
	o.defaults()
	data, err := ensureSecret(ctx, c, o)
	if err != nil {
		return err
	}
	if err := inject(ctx, c, &admissionv1.ValidatingWebhookConfiguration{}, "ValidatingWebhookConfiguration", o.WebhookConfiguration, data["ca.crt"]); err != nil {
		return err
	}
	if o.MutatingWebhookConfiguration != "" {
		if err := inject(ctx, c, &admissionv1.MutatingWebhookConfiguration{}, "MutatingWebhookConfiguration", o.MutatingWebhookConfiguration, data["ca.crt"]); err != nil {
			return err
		}
	}
	return write(o.CertDir, data)
}

// ensureSecret creates or updates the Secret as next decides and returns its data.
// A replica that loses a race to another reads the winner's Secret and decides
// again, so two replicas never leave two different certificates behind.
func ensureSecret(ctx context.Context, c client.Client, o Options) (map[string][]byte, error) {
	key := client.ObjectKey{Namespace: o.Namespace, Name: o.SecretName}
	for attempt := 0; ; attempt++ {
		secret := &corev1.Secret{}
		err := c.Get(ctx, key, secret)
		exists := err == nil
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("cannot read Secret %s: %w", o.SecretName, err)
		}
		data, changed, err := next(secret.Data, o, o.Clock.Now())
		if err != nil {
			return nil, err
		}
		if !changed {
			return data, nil
		}
		if exists {
			secret.Data = data
			err = c.Update(ctx, secret)
		} else {
			secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: o.SecretName}, Data: data}
			err = c.Create(ctx, secret)
		}
		if err == nil {
			return data, nil
		}
		if (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && attempt < conflictRetries {
			continue
		}
		return nil, fmt.Errorf("cannot write Secret %s: %w", o.SecretName, err)
	}
}

// write puts tls.crt and tls.key where the webhook server reads them, each file
// replaced whole (renamed into place) and only when it changed, so the server's
// certificate watcher reloads on a rotation and not on every check.
func write(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the certificate folder: %w", err)
	}
	// A watcher that reloads between the two files sees a mismatched pair, keeps the
	// certificate it has, and reloads again on the second file.
	for _, name := range []string{"tls.crt", "tls.key"} {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data[name]) {
			continue
		}
		tmp, err := os.CreateTemp(dir, "."+name+"-*")
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
		_, err = tmp.Write(data[name])
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
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
