package policy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestGateReadsTheNamedBackupStorages: the cluster gate judges the spec of the
// BackupStorage a cluster names, read through Storages; one that does not exist
// leaves only the rules on names, and a failed read is an error, not an allowance.
func TestGateReadsTheNamedBackupStorages(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := reg.Get("postgresql")
	scheme := runtime.NewScheme()
	if err := dbaasv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	gcs := &dbaasv1.BackupStorage{ObjectMeta: metav1.ObjectMeta{Name: "gcs", Namespace: "shop"},
		Spec: dbaasv1.BackupStorageSpec{Type: dbaasv1.BackupStorageGCS, Bucket: "acme", CredentialsSecretName: "key"}}
	storages := fake.NewClientBuilder().WithScheme(scheme).WithObjects(gcs).Build()
	set := embedded(t)
	gate := &Gate{Current: func() *Set { return set }, Namespaces: StaticNamespaces{"dbaas.io/tier": "small"}, Storages: storages}
	cluster := func(storage string) *dbaasv1.DatabaseCluster {
		return &dbaasv1.DatabaseCluster{
			ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop"},
			Spec: dbaasv1.DatabaseClusterSpec{Engine: "postgresql", Version: "16",
				Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
				Backup:  &dbaasv1.Backup{Enabled: true, StorageName: storage}},
		}
	}
	ctx := context.Background()

	d, err := gate.Cluster(ctx, cluster("gcs"), pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "BackupStorage gcs is of type gcs, which tier small may not use (allowed: s3)"
	if len(d.Violations) != 1 || d.Violations[0].Message != want || d.Violations[0].Field != "spec.backup.storageName" {
		t.Fatalf("violations %+v, want one on spec.backup.storageName: %s", d.Violations, want)
	}

	if d, err = gate.Cluster(ctx, cluster("later"), pg, nil); err != nil || len(d.Violations) != 0 {
		t.Fatalf("a storage that does not exist yet: %+v, %v; want no violation", d.Violations, err)
	}

	gate.Storages = interceptor.NewClient(fake.NewClientBuilder().WithScheme(scheme).Build(), interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("connection refused")
		},
	})
	if _, err := gate.Cluster(ctx, cluster("gcs"), pg, nil); err == nil || !strings.Contains(err.Error(), "cannot read BackupStorage shop/gcs") {
		t.Fatalf("a failed read: %v, want an error naming the storage", err)
	}
}

// TestOpsGateReadsTheNamedBackupStorages: the ops gate judges the spec of the
// BackupStorage an operation names (a Backup's storageName, a Restore's
// backupStorage) as the cluster gate does.
func TestOpsGateReadsTheNamedBackupStorages(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	mongo, _ := reg.Get("mongodb")
	scheme := runtime.NewScheme()
	if err := dbaasv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	gcs := &dbaasv1.BackupStorage{ObjectMeta: metav1.ObjectMeta{Name: "gcs", Namespace: "shop"},
		Spec: dbaasv1.BackupStorageSpec{Type: dbaasv1.BackupStorageGCS, Bucket: "acme", CredentialsSecretName: "key"}}
	set := embedded(t)
	gate := &Gate{Current: func() *Set { return set }, Namespaces: StaticNamespaces{"dbaas.io/tier": "small"},
		Storages: fake.NewClientBuilder().WithScheme(scheme).WithObjects(gcs).Build()}
	cluster := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop"},
		Spec: dbaasv1.DatabaseClusterSpec{Engine: "mongodb", Version: "7.0",
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")}},
		Status: dbaasv1.DatabaseClusterStatus{Phase: dbaasv1.PhaseReady},
	}
	ops := func(spec dbaasv1.OpsRequestSpec) *dbaasv1.OpsRequest {
		spec.ClusterRef = "orders"
		return &dbaasv1.OpsRequest{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "shop"}, Spec: spec}
	}
	want := "BackupStorage gcs is of type gcs, which tier small may not use (allowed: s3)"
	for field, op := range map[string]*dbaasv1.OpsRequest{
		"spec.backup.storageName":         ops(dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsBackup, Backup: &dbaasv1.BackupOps{StorageName: "gcs"}}),
		"spec.restore.backupStorage.name": ops(dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsRestore, Restore: &dbaasv1.Restore{BackupStorage: &dbaasv1.BackupStorageSource{Name: "gcs", Path: "orders/b1"}}}),
	} {
		d, err := gate.Ops(context.Background(), op, cluster, mongo, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Violations) != 1 || d.Violations[0].Message != want || d.Violations[0].Field != field {
			t.Errorf("violations %+v, want one on %s: %s", d.Violations, field, want)
		}
	}
}
