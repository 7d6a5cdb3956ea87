package controller_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// secretText reads a Secret's data as text.
func secretText(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	s := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("Secret %s: %v", name, err)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

// TestSecretDataCopiedOnApply: the Kafka engine's connection Secret is created once
// Strimzi wrote the user's password and the cluster CA, with what the engine knows
// (the bootstrap address, the user name) and those copied from Strimzi's Secrets (the
// password as it is and in the uri);
// an unchanged source writes nothing again, a new password is copied on the next
// reconcile.
func TestSecretDataCopiedOnApply(t *testing.T) {
	ns := namespace(t)
	c := newCluster(ns, "events")
	c.Spec.Engine = "kafka"
	if err := k8s.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	var writes writeCounter
	r := reconciler(writes.client(), embeddedRegistry(t))
	reconcile(t, r, ns, "events")

	// Before Strimzi wrote its Secrets the connection Secret, which would lack the
	// credentials, is not created.
	err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "events-connection"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("the connection Secret before Strimzi wrote its Secrets: %v; want NotFound", err)
	}

	// Strimzi's User Operator and cluster operator write theirs.
	user := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "events-app"},
		StringData: map[string]string{"password": "s3cret", "sasl.jaas.config": "jaas"}}
	ca := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "events-cluster-ca-cert"},
		StringData: map[string]string{"ca.crt": "PEM", "ca.password": "not copied"}}
	for _, s := range []*corev1.Secret{user, ca} {
		if err := k8s.Create(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	reconcile(t, r, ns, "events")
	got := secretText(t, ns, "events-connection")
	if got["bootstrap.servers"] != "events-kafka-bootstrap."+ns+".svc:9093" {
		t.Errorf("connection Secret bootstrap.servers = %q, want the TLS bootstrap address", got["bootstrap.servers"])
	}
	for k, want := range map[string]string{"password": "s3cret", "sasl.jaas.config": "jaas", "ca.crt": "PEM", "username": "events-app"} {
		if got[k] != want {
			t.Errorf("connection Secret %s = %q, want %q", k, got[k], want)
		}
	}
	if want := "kafka://events-app:s3cret@events-kafka-bootstrap." + ns + ".svc:9093?security.protocol=SASL_SSL&sasl.mechanism=SCRAM-SHA-512"; got["uri"] != want {
		t.Errorf("connection Secret uri = %q, want %q", got["uri"], want)
	}
	if _, ok := got["ca.password"]; ok {
		t.Error("connection Secret has ca.password, which the engine does not copy")
	}

	writes.n.Store(0)
	reconcile(t, r, ns, "events")
	if n := writes.n.Load(); n != 0 {
		t.Fatalf("a reconcile with unchanged sources sent %d writes, want 0", n)
	}

	// A new password (the user's Secret regenerated) reaches the connection Secret.
	user.StringData = map[string]string{"password": "n3w", "sasl.jaas.config": "jaas2"}
	if err := k8s.Update(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "events")
	if got := secretText(t, ns, "events-connection"); got["password"] != "n3w" || got["sasl.jaas.config"] != "jaas2" ||
		!strings.HasPrefix(got["uri"], "kafka://events-app:n3w@") {
		t.Fatalf("connection Secret after a new password: %v", got)
	}
}
