package simulate

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
)

// TestRunWaitsForTheIssuer: with Run playing the child operators, a postgresql
// cluster whose ClusterIssuer does not exist gets no server certificate (the
// Certificate not Ready, the Cluster waiting for its Secret), and becomes Ready
// once the issuer is created, with nothing but Run looking again.
func TestRunWaitsForTheIssuer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := New(env.client, env.registry, engines.Simulations)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- sim.Run(ctx, env.cluster.Config, "healthy") }()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "simulate-issuer"}}
	if err := env.client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cluster := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "orders"},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine:  "postgresql",
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
			TLS:     &dbaasv1.TLS{IssuerRef: &dbaasv1.IssuerRef{Name: "corp-ca-" + ns.Name, Kind: "ClusterIssuer"}},
		},
	}
	if err := env.client.Create(ctx, cluster); err != nil {
		t.Fatal(err)
	}
	waitCondition(ctx, t, cluster, "TLSReady", metav1.ConditionFalse, "CertificateNotReady")
	c := &dbaasv1.DatabaseCluster{}
	if err := env.client.Get(ctx, client.ObjectKeyFromObject(cluster), c); err != nil {
		t.Fatal(err)
	}
	ready := meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReadyCondition)
	if ready == nil || ready.Status != metav1.ConditionFalse || !strings.Contains(ready.Message, "Certificate orders-server-tls") {
		t.Errorf("Ready without the issuer: %+v, want False naming the Certificate", ready)
	}
	if c.Status.Phase != dbaasv1.PhaseCreating {
		t.Errorf("phase without the issuer: %s, want Creating", c.Status.Phase)
	}

	issuer := &unstructured.Unstructured{}
	issuer.SetAPIVersion("cert-manager.io/v1")
	issuer.SetKind("ClusterIssuer")
	issuer.SetName(cluster.Spec.TLS.IssuerRef.Name)
	issuer.Object["spec"] = map[string]any{"selfSigned": map[string]any{}}
	if err := env.client.Create(ctx, issuer); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.client.Delete(context.Background(), issuer); err != nil {
			t.Error(err)
		}
	}()
	waitReady(ctx, t, cluster)
	waitCondition(ctx, t, cluster, "TLSReady", metav1.ConditionTrue, "CertificateReady")
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// waitCondition waits (up to a minute) until the cluster has the condition with
// that status and reason.
func waitCondition(ctx context.Context, t *testing.T, cluster *dbaasv1.DatabaseCluster, typ string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		c := &dbaasv1.DatabaseCluster{}
		err := env.client.Get(ctx, client.ObjectKeyFromObject(cluster), c)
		if got := meta.FindStatusCondition(c.Status.Conditions, typ); err == nil && got != nil && got.Status == status && got.Reason == reason {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("DatabaseCluster %s has no %s %s %s after 1m (last error: %v, conditions: %v)", cluster.Name, typ, status, reason, err, c.Status.Conditions)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
