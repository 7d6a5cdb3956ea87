package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DatabaseClusterSpec is the desired state of one database: which engine runs it, at
// what size and with which features. Fields left empty take the engine's defaults,
// which are reported in status and never written back here.
// +kubebuilder:validation:XValidation:rule="self.engine == oldSelf.engine",message="engine is immutable: create a new DatabaseCluster (or restore a backup into one) to change it"
// +kubebuilder:validation:XValidation:rule="has(self.dataSource) == has(oldSelf.dataSource) && (!has(self.dataSource) || self.dataSource == oldSelf.dataSource)",message="dataSource is immutable: it only takes effect when the cluster is created"
type DatabaseClusterSpec struct {
	// Engine is the database engine: one of the engines the operator has loaded
	// (postgresql, mongodb, mysql, kafka as shipped). It cannot change after creation.
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]{0,62}$`
	Engine string `json:"engine"`

	// Version is a version from the engine's catalog, such as "16" for PostgreSQL.
	// Default: the catalog's default version, reported in status.version.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Version string `json:"version,omitempty"`

	// ClusterSize is the number of database instances (members, nodes or brokers).
	// Default: the engine's default, usually 1.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=15
	// +optional
	ClusterSize *int32 `json:"clusterSize,omitempty"`

	// Storage is the persistent volume of each instance.
	Storage Storage `json:"storage"`

	// Resources are the CPU and memory of each database instance.
	// +optional
	Resources Resources `json:"resources,omitempty"`

	// Config is a list of engine configuration parameters. Which names and values are
	// allowed is decided by the engine's config policy.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=200
	// +optional
	Config []ConfigParameter `json:"config,omitempty"`

	// Proxy runs a connection proxy or pooler in front of the instances (PgBouncer,
	// mongos, HAProxy) and chooses how the cluster is exposed.
	// +optional
	Proxy *Proxy `json:"proxy,omitempty"`

	// Monitoring exports metrics of the database for Prometheus.
	// +optional
	Monitoring *Monitoring `json:"monitoring,omitempty"`

	// TLS encrypts the traffic between clients and the database. It is on by
	// default where the child operator supports it; see TLS.
	// +optional
	TLS *TLS `json:"tls,omitempty"`

	// Scheduling places the instances on nodes.
	// +optional
	Scheduling *Scheduling `json:"scheduling,omitempty"`

	// Backup takes scheduled backups to object storage.
	// +optional
	Backup *Backup `json:"backup,omitempty"`

	// DataSource bootstraps the cluster from a backup or another DatabaseCluster
	// instead of starting empty. It only takes effect at creation.
	// +optional
	DataSource *DataSource `json:"dataSource,omitempty"`

	// Stopped shuts the instances down and keeps their data. Default: false.
	// +optional
	Stopped bool `json:"stopped,omitempty"`

	// Paused stops the operator from changing the children, for manual maintenance.
	// Default: false.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// DeletionPolicy says what happens to the data when the DatabaseCluster is deleted:
	// Delete removes the child and its volumes; Retain keeps the child and its data.
	// Default: Delete.
	// +kubebuilder:validation:Enum=Delete;Retain
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// DeletionPolicy says what deleting a DatabaseCluster does to its data.
type DeletionPolicy string

const (
	// DeletionPolicyDelete removes the child resources and their data.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyRetain orphans the child resources so the data survives.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// Storage is the persistent volume of each instance.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) >= 0",message="storage.size cannot shrink: volumes can only grow"
type Storage struct {
	// Size of each instance's volume, such as 20Gi. It can grow but never shrink.
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="storage.size must be greater than zero"
	Size resource.Quantity `json:"size"`

	// StorageClass of the volumes. Default: the cluster's default StorageClass.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageClass *string `json:"storageClass,omitempty"`
}

// Resources are the compute resources of each database instance.
type Resources struct {
	// Requests are the resources reserved for each instance, such as cpu: "1".
	// +optional
	Requests corev1.ResourceList `json:"requests,omitempty"`

	// Limits are the most each instance may use, such as memory: 4Gi.
	// +optional
	Limits corev1.ResourceList `json:"limits,omitempty"`
}

// ConfigParameter is one engine configuration parameter.
type ConfigParameter struct {
	// Name of the parameter, as the engine spells it (max_connections, wiredTigerCacheSizeGB).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// Value of the parameter, always as a string ("300", "on", "256MB").
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value"`
}

// Proxy is a connection proxy or pooler in front of the database instances.
type Proxy struct {
	// Enabled runs the proxy. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Replicas is the number of proxy instances. Default: the engine's default, usually 2.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=15
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Expose decides who can reach the cluster.
	// +optional
	Expose *Expose `json:"expose,omitempty"`
}

// ExposeType says whether a cluster is reachable from outside the Kubernetes cluster.
type ExposeType string

const (
	// ExposeInternal keeps the cluster reachable only inside the Kubernetes cluster.
	ExposeInternal ExposeType = "internal"
	// ExposeExternal publishes the cluster through a LoadBalancer.
	ExposeExternal ExposeType = "external"
)

// Expose decides who can reach the cluster.
type Expose struct {
	// Type is internal (a ClusterIP service) or external (a LoadBalancer). Default: internal.
	// +kubebuilder:validation:Enum=internal;external
	// +optional
	Type ExposeType `json:"type,omitempty"`

	// IPSourceRanges are the CIDRs allowed to connect when the type is external.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=43
	// +optional
	IPSourceRanges []string `json:"ipSourceRanges,omitempty"`
}

// Monitoring exports database metrics.
type Monitoring struct {
	// Enabled runs each engine's Prometheus exporter on the database pods (port
	// metrics, or tcp-prometheus for kafka) and creates a PodMonitor for the
	// Prometheus operator that scrapes them. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// PodMonitor creates the PodMonitor (monitoring.coreos.com/v1) when enabled.
	// Set it false where no Prometheus operator runs (PMM only, or another
	// scraper): the exporters still run. Default: true.
	// +optional
	PodMonitor *bool `json:"podMonitor,omitempty"`
	// PMM adds the Percona Monitoring and Management client, reporting to this
	// server, when enabled. Only the Percona engines (mongodb, mysql) run a PMM
	// client; the other engines refuse this field. Default: absent (no PMM client).
	// +optional
	PMM *PMM `json:"pmm,omitempty"`
}

// PMM is the Percona Monitoring and Management server a cluster reports to.
type PMM struct {
	// ServerHost is the address of the PMM server. Default: monitoring-service
	// (the Service the PMM Helm chart creates).
	// +kubebuilder:validation:MinLength=1
	// +optional
	ServerHost string `json:"serverHost,omitempty"`
}

// AntiAffinity says how strictly instances are spread over the topology key.
type AntiAffinity string

const (
	// AntiAffinityPreferred spreads instances when the scheduler can.
	AntiAffinityPreferred AntiAffinity = "preferred"
	// AntiAffinityRequired refuses to place two instances in one topology domain.
	AntiAffinityRequired AntiAffinity = "required"
)

// Scheduling places the instances on nodes.
type Scheduling struct {
	// NodeSelector restricts instances to nodes with these labels.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations let instances run on tainted nodes.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// AntiAffinity spreads instances over topologyKey: preferred or required.
	// Default: preferred.
	// +kubebuilder:validation:Enum=preferred;required
	// +optional
	AntiAffinity AntiAffinity `json:"antiAffinity,omitempty"`

	// TopologyKey is the node label that anti-affinity spreads over.
	// Default: kubernetes.io/hostname.
	// +kubebuilder:validation:MaxLength=316
	// +optional
	TopologyKey string `json:"topologyKey,omitempty"`

	// Affinity is passed to the instances as is, for rules the fields above cannot say.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints are passed to the instances as they are.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
}

// Backup takes scheduled backups to object storage.
// +kubebuilder:validation:XValidation:rule="!(has(self.storage) && has(self.storageName))",message="set one of backup.storage (inline S3) or backup.storageName (a BackupStorage), not both"
type Backup struct {
	// Enabled turns scheduled backups on. Default: false.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Schedule is a standard five-field cron expression ("0 3 * * *"); engines convert
	// it to what their child needs. Default: the engine's default, daily.
	// +kubebuilder:validation:Pattern=`^(\S+\s+){4}\S+$`
	// +optional
	Schedule string `json:"schedule,omitempty"`

	// Retention is how long backups are kept: a number and a unit d (days), w (weeks)
	// or m (months), such as 7d. Default: the engine's default.
	// +kubebuilder:validation:Pattern=`^[1-9][0-9]{0,3}[dwm]$`
	// +optional
	Retention string `json:"retention,omitempty"`

	// Storage is where backups go, given inline: an S3 bucket with a credentials
	// Secret. Set this or storageName, not both.
	// +optional
	Storage *InlineBackupStorage `json:"storage,omitempty"`

	// StorageName names a BackupStorage in this namespace that backups go to (S3,
	// GCS or Azure Blob, with a Secret or workload identity). Set this or storage,
	// not both.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageName string `json:"storageName,omitempty"`
}

// InlineBackupStorage is where backups are stored, given in the cluster itself.
type InlineBackupStorage struct {
	// S3 is an S3-compatible object store.
	S3 S3Storage `json:"s3"`
}

// S3Storage is a bucket in an S3-compatible object store.
type S3Storage struct {
	// Bucket name.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	Bucket string `json:"bucket"`

	// Path inside the bucket, such as /shop/orders. Default: the bucket's root.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Path string `json:"path,omitempty"`

	// Endpoint URL of the object store, for stores other than AWS S3.
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// Region of the bucket.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Region string `json:"region,omitempty"`

	// CredentialsSecret names a Secret in the cluster's namespace with the keys
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	CredentialsSecret string `json:"credentialsSecret"`
}

// DataSource bootstraps a new cluster from existing data: a backup or another cluster.
// +kubebuilder:validation:XValidation:rule="[has(self.backup), has(self.cluster), has(self.backupStorage)].exists_one(x, x)",message="dataSource needs exactly one of backup, cluster or backupStorage"
type DataSource struct {
	// Backup restores a backup, optionally up to a point in time.
	// +optional
	Backup *BackupSource `json:"backup,omitempty"`

	// BackupStorage restores what a cluster backed up to a BackupStorage, read from
	// the store itself: neither the source cluster nor its backup objects need to
	// exist (disaster recovery, or a copy into another namespace).
	// +optional
	BackupStorage *BackupStorageSource `json:"backupStorage,omitempty"`

	// Cluster clones another DatabaseCluster of the same engine in this namespace.
	// +optional
	Cluster *ClusterSource `json:"cluster,omitempty"`
}

// BackupSource names a backup to restore.
type BackupSource struct {
	// Name of the backup: the child backup object the engine created, in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// ClusterName is the DatabaseCluster the backup was taken of, when the engine needs
	// its storage to find the backup. Default: read from the backup object.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ClusterName string `json:"clusterName,omitempty"`

	// PointInTime restores up to this moment (RFC 3339). Default: the end of the backup.
	// +optional
	PointInTime *metav1.Time `json:"pointInTime,omitempty"`
}

// BackupStorageSource names a backup in a BackupStorage.
type BackupStorageSource struct {
	// Name of the BackupStorage, in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Path is what to restore, under the storage's prefix: for postgresql the source
	// cluster's folder (its name); for mongodb the source cluster's folder and the
	// backup, such as orders/2026-01-01T03:00:21Z; for mysql the backup's folder,
	// such as orders-2026-01-01-03:00:21-full.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^[^/].*[^/]$|^[^/]$`
	Path string `json:"path"`

	// PointInTime restores up to this moment (RFC 3339), replaying the logs the
	// source uploaded after the backup. Default: the end of the backup (postgresql:
	// the end of the archived WAL).
	// +optional
	PointInTime *metav1.Time `json:"pointInTime,omitempty"`
}

// ClusterSource names a DatabaseCluster to clone.
type ClusterSource struct {
	// Name of the DatabaseCluster to clone, in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}
