package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BackupStorageType is the kind of object store a BackupStorage names.
type BackupStorageType string

const (
	// BackupStorageS3 is AWS S3 or an S3-compatible store (MinIO, Ceph, GCS in
	// interoperability mode).
	BackupStorageS3 BackupStorageType = "s3"
	// BackupStorageGCS is Google Cloud Storage.
	BackupStorageGCS BackupStorageType = "gcs"
	// BackupStorageAzure is Azure Blob Storage.
	BackupStorageAzure BackupStorageType = "azure"
)

// BackupStorageSpec is one object store that clusters back up to and restore from.
// Credentials come from a Secret (credentialsSecretName) or from the pods' workload
// identity (workloadIdentity), never both.
// +kubebuilder:validation:XValidation:rule="has(self.credentialsSecretName) != has(self.workloadIdentity)",message="set exactly one of credentialsSecretName or workloadIdentity"
// +kubebuilder:validation:XValidation:rule="self.type == 'azure' || !has(self.storageAccount)",message="storageAccount is only for type azure"
// +kubebuilder:validation:XValidation:rule="self.type != 'azure' || has(self.storageAccount)",message="type azure needs storageAccount, the Azure storage account that holds the container"
// +kubebuilder:validation:XValidation:rule="self.type == 's3' || !has(self.region)",message="region is only for type s3"
// +kubebuilder:validation:XValidation:rule="self.type != 'gcs' || !has(self.endpoint)",message="endpoint is not for type gcs: Google Cloud Storage has one endpoint"
type BackupStorageSpec struct {
	// Type is the kind of store: s3 (AWS S3 or S3-compatible), gcs (Google Cloud
	// Storage) or azure (Azure Blob Storage).
	// +kubebuilder:validation:Enum=s3;gcs;azure
	Type BackupStorageType `json:"type"`

	// Bucket is the bucket (s3, gcs) or the container (azure).
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9._-]*[a-z0-9]$`
	Bucket string `json:"bucket"`

	// Prefix is the folder in the bucket under which each cluster gets a folder of
	// its own, such as shop/prod. Default: the bucket's root.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// Region of the bucket, for type s3. Default: the store's.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Region string `json:"region,omitempty"`

	// Endpoint is the URL of the store, for an S3-compatible store other than AWS or
	// an Azure endpoint other than https://<storageAccount>.blob.core.windows.net.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// StorageAccount is the Azure storage account that holds the container; type
	// azure needs it.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:Pattern=`^[a-z0-9]+$`
	// +optional
	StorageAccount string `json:"storageAccount,omitempty"`

	// CredentialsSecretName names a Secret in this namespace with the store's
	// credentials: for s3 the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for
	// gcs GOOGLE_APPLICATION_CREDENTIALS (the JSON key of a service account); for
	// azure AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	CredentialsSecretName string `json:"credentialsSecretName,omitempty"`

	// WorkloadIdentity takes the credentials from the identity of the database pods
	// (EKS IAM roles for service accounts, GKE Workload Identity, Azure AD Workload
	// Identity) instead of a Secret.
	// +optional
	WorkloadIdentity *WorkloadIdentity `json:"workloadIdentity,omitempty"`
}

// WorkloadIdentity takes a store's credentials from the identity of the pods.
type WorkloadIdentity struct {
	// ServiceAccountAnnotations are put on the ServiceAccount of the database pods
	// where the engine manages it (postgresql), such as
	// eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/backups or
	// iam.gke.io/gcp-service-account: backups@project.iam.gserviceaccount.com.
	// Engines whose pods run under a ServiceAccount they do not manage refuse them:
	// annotate that ServiceAccount instead (see the README).
	// +kubebuilder:validation:MaxProperties=16
	// +optional
	ServiceAccountAnnotations map[string]string `json:"serviceAccountAnnotations,omitempty"`
}

// BackupStorageStatus is what the operator found of a BackupStorage.
type BackupStorageStatus struct {
	// ObservedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready is True when the credentials are in place (the Secret exists
	// with the keys its type needs, or the storage uses workload identity).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BackupStorage is an object store that DatabaseClusters in its namespace back up to
// (spec.backup.storageName) and restore from (spec.dataSource.backupStorage).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bs,categories=dbaas
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Bucket",type=string,JSONPath=`.spec.bucket`
// +kubebuilder:printcolumn:name="Prefix",type=string,JSONPath=`.spec.prefix`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BackupStorage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BackupStorageSpec `json:"spec"`
	// +optional
	Status BackupStorageStatus `json:"status,omitempty"`
}

// BackupStorageList is a list of BackupStorages.
// +kubebuilder:object:root=true
type BackupStorageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BackupStorage `json:"items"`
}

// BackupStorageNames are the names of the BackupStorages the cluster uses: the one
// it backs up to and the one it restores from.
func (c *DatabaseCluster) BackupStorageNames() []string {
	var names []string
	if c.Spec.Backup != nil && c.Spec.Backup.StorageName != "" {
		names = append(names, c.Spec.Backup.StorageName)
	}
	if c.Spec.DataSource != nil && c.Spec.DataSource.BackupStorage != nil && c.Spec.DataSource.BackupStorage.Name != c.Spec.Backup.GetStorageName() {
		names = append(names, c.Spec.DataSource.BackupStorage.Name)
	}
	return names
}

// GetStorageName is the BackupStorage backups go to; "" for none (or a nil Backup).
func (b *Backup) GetStorageName() string {
	if b == nil {
		return ""
	}
	return b.StorageName
}
