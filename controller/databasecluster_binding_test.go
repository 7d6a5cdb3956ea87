package controller_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/simulate"
)

// TestBindingIncomplete: a ready child whose binding Secret lacks the password
// (CloudNativePG's app Secret is gone) leaves the cluster Creating, Ready False with
// reason BindingIncomplete naming the keys and their source, status.binding unset,
// and the reconcile retried; once the source is back the password is copied, into
// the uri percent-encoded, and status.binding names the Secret.
func TestBindingIncomplete(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	readyCluster(t, newCluster(ns, "orders"))
	c := getCluster(t, ns, "orders")
	if c.Status.Phase != dbaasv1.PhaseReady || c.Status.Binding == nil || c.Status.Binding.Name != "orders-connection" {
		t.Fatalf("a ready cluster: phase %s, binding %+v; want Ready with binding orders-connection", c.Status.Phase, c.Status.Binding)
	}

	app := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-app"}}
	if err := k8s.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	r := reconciler(k8s, embeddedRegistry(t))
	if res := reconcile(t, r, ns, "orders"); res.RequeueAfter == 0 {
		t.Error("an incomplete binding is not looked at again")
	}
	c = getCluster(t, ns, "orders")
	if c.Status.Phase != dbaasv1.PhaseCreating || c.Status.Binding != nil || c.Status.ConnectionSecret != "orders-connection" {
		t.Errorf("phase %s, binding %+v, connectionSecret %q; want Creating, no binding, orders-connection",
			c.Status.Phase, c.Status.Binding, c.Status.ConnectionSecret)
	}
	ready := meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReadyCondition)
	want := "the binding Secret orders-connection lacks password, uri: Secret orders-app does not exist yet"
	if ready == nil || ready.Status != metav1.ConditionFalse || ready.Reason != dbaasv1.BindingIncompleteReason || ready.Message != want {
		t.Fatalf("Ready %+v, want False BindingIncomplete %q", ready, want)
	}
	if got := secretText(t, ns, "orders-connection"); got["password"] != "" || got["uri"] != "" || got["username"] != "app" {
		t.Errorf("connection Secret %v: want the user without a password", got)
	}

	// CloudNativePG writes it again, with a password a URI must escape.
	app = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-app"},
		StringData: map[string]string{"username": "app", "password": "p@ss/w:rd"}}
	if err := k8s.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "orders")
	c = getCluster(t, ns, "orders")
	ready = meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReadyCondition)
	if c.Status.Phase != dbaasv1.PhaseReady || c.Status.Binding == nil || c.Status.Binding.Name != "orders-connection" ||
		ready == nil || ready.Status != metav1.ConditionTrue {
		t.Fatalf("phase %s, binding %+v, Ready %+v; want Ready with binding orders-connection", c.Status.Phase, c.Status.Binding, ready)
	}
	got := secretText(t, ns, "orders-connection")
	if got["password"] != "p@ss/w:rd" {
		t.Errorf("password %q", got["password"])
	}
	if want := "postgresql://app:p%40ss%2Fw%3Ard@orders-rw." + ns + ".svc:5432/app"; got["uri"] != want {
		t.Errorf("uri %q, want %q", got["uri"], want)
	}
	for _, k := range []string{"type", "provider", "host", "port", "username", "password", "database", "uri"} {
		if strings.TrimSpace(got[k]) == "" {
			t.Errorf("connection Secret lacks %s", k)
		}
	}
}

// TestBindingCreatedComplete: a new cluster's binding Secret is not created before
// its source exists (a Secret without credentials, then its update, would be two
// writes and an Event for nothing usable); the cluster names it, reports it
// incomplete and looks again, and the Secret is created whole once CloudNativePG has
// written its app Secret.
func TestBindingCreatedComplete(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	c := newCluster(ns, "ledger")
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	registry := embeddedRegistry(t)
	r := reconciler(k8s, registry)
	if res := reconcile(t, r, ns, "ledger"); res.RequeueAfter == 0 {
		t.Error("an incomplete binding is not looked at again")
	}
	err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ledger-connection"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("the connection Secret before its source exists: %v; want NotFound", err)
	}
	got := getCluster(t, ns, "ledger")
	if got.Status.ConnectionSecret != "ledger-connection" || got.Status.Binding != nil {
		t.Errorf("connectionSecret %q, binding %+v; want ledger-connection and no binding", got.Status.ConnectionSecret, got.Status.Binding)
	}

	sim, err := simulate.New(k8s, registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Cluster(ctx, ns, "ledger", "healthy"); err != nil {
		t.Fatal(err)
	}
	reconcile(t, r, ns, "ledger")
	got = getCluster(t, ns, "ledger")
	if got.Status.Phase != dbaasv1.PhaseReady || got.Status.Binding == nil || got.Status.Binding.Name != "ledger-connection" {
		t.Fatalf("phase %s, binding %+v; want Ready with binding ledger-connection", got.Status.Phase, got.Status.Binding)
	}
	if secret := secretText(t, ns, "ledger-connection"); secret["password"] == "" || secret["uri"] == "" {
		t.Errorf("connection Secret %v: want it created with the password and the uri", secret)
	}
}
