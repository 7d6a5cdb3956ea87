package controller_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// TestBackupStorageReadyFollowsTheSecret: Ready is False while the Secret is missing
// or lacks a key of the storage's type, True once it has them all, and True at once
// with workload identity.
func TestBackupStorageReadyFollowsTheSecret(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	r := &controller.BackupStorageReconciler{Client: k8s}
	create := func(name string, spec dbaasv1.BackupStorageSpec) {
		t.Helper()
		bs := &dbaasv1.BackupStorage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
		if err := k8s.Create(ctx, bs); err != nil {
			t.Fatal(err)
		}
	}
	ready := func(name string) *metav1.Condition {
		t.Helper()
		key := types.NamespacedName{Namespace: ns, Name: name}
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
			t.Fatal(err)
		}
		bs := &dbaasv1.BackupStorage{}
		if err := k8s.Get(ctx, key, bs); err != nil {
			t.Fatal(err)
		}
		c := meta.FindStatusCondition(bs.Status.Conditions, dbaasv1.ReadyCondition)
		if c == nil {
			t.Fatalf("BackupStorage %s has no Ready condition", name)
		}
		return c
	}
	want := func(c *metav1.Condition, status metav1.ConditionStatus, reason, message string) {
		t.Helper()
		if c.Status != status || c.Reason != reason || c.Message != message {
			t.Fatalf("Ready = %s/%s %q, want %s/%s %q", c.Status, c.Reason, c.Message, status, reason, message)
		}
	}

	create("azure", dbaasv1.BackupStorageSpec{Type: dbaasv1.BackupStorageAzure, Bucket: "backups", StorageAccount: "acme", CredentialsSecretName: "azure-creds"})
	want(ready("azure"), metav1.ConditionFalse, dbaasv1.SecretNotFoundReason, `Secret "azure-creds" with the credentials does not exist`)

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "azure-creds"},
		Data: map[string][]byte{"AZURE_STORAGE_ACCOUNT_NAME": []byte("acme")}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	want(ready("azure"), metav1.ConditionFalse, dbaasv1.SecretKeyMissingReason, `Secret "azure-creds" has no AZURE_STORAGE_ACCOUNT_KEY, which type azure needs`)

	secret.Data["AZURE_STORAGE_ACCOUNT_KEY"] = []byte("key")
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	want(ready("azure"), metav1.ConditionTrue, dbaasv1.CredentialsFoundReason, `Secret "azure-creds" has the credentials of type azure`)

	create("irsa", dbaasv1.BackupStorageSpec{Type: dbaasv1.BackupStorageS3, Bucket: "backups", WorkloadIdentity: &dbaasv1.WorkloadIdentity{}})
	want(ready("irsa"), metav1.ConditionTrue, dbaasv1.WorkloadIdentityReason, "credentials come from the workload identity of the database pods")
}

// TestBackupStorageValidation: the CRD refuses a storage with both or neither of a
// Secret and workload identity, and fields that do not belong to its type.
func TestBackupStorageValidation(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	cases := map[string]struct {
		spec dbaasv1.BackupStorageSpec // spec is the storage to create
		want string                    // want is part of the API server's refusal
	}{
		"no credentials": {dbaasv1.BackupStorageSpec{Type: "s3", Bucket: "backups"},
			"set exactly one of credentialsSecretName or workloadIdentity"},
		"both credentials": {dbaasv1.BackupStorageSpec{Type: "s3", Bucket: "backups", CredentialsSecretName: "c", WorkloadIdentity: &dbaasv1.WorkloadIdentity{}},
			"set exactly one of credentialsSecretName or workloadIdentity"},
		"azure without account": {dbaasv1.BackupStorageSpec{Type: "azure", Bucket: "backups", CredentialsSecretName: "c"},
			"type azure needs storageAccount"},
		"region on gcs": {dbaasv1.BackupStorageSpec{Type: "gcs", Bucket: "backups", Region: "eu", CredentialsSecretName: "c"},
			"region is only for type s3"},
		"unknown type": {dbaasv1.BackupStorageSpec{Type: "ftp", Bucket: "backups", CredentialsSecretName: "c"},
			`spec.type: Unsupported value: "ftp"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			bs := &dbaasv1.BackupStorage{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "bs-"}, Spec: tc.spec}
			err := k8s.Create(ctx, bs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("create: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
