package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ClusterPhase is the one-word summary of a DatabaseCluster's state.
// +kubebuilder:validation:Enum=Creating;Ready;Updating;Scaling;Upgrading;Restoring;Stopping;Stopped;Paused;Failed;Deleting
type ClusterPhase string

// The phases of a DatabaseCluster.
const (
	PhaseCreating  ClusterPhase = "Creating"
	PhaseReady     ClusterPhase = "Ready"
	PhaseUpdating  ClusterPhase = "Updating"
	PhaseScaling   ClusterPhase = "Scaling"
	PhaseUpgrading ClusterPhase = "Upgrading"
	PhaseRestoring ClusterPhase = "Restoring"
	PhaseStopping  ClusterPhase = "Stopping"
	PhaseStopped   ClusterPhase = "Stopped"
	PhasePaused    ClusterPhase = "Paused"
	PhaseFailed    ClusterPhase = "Failed"
	PhaseDeleting  ClusterPhase = "Deleting"
)

// DatabaseClusterStatus is the observed state of a DatabaseCluster, mapped from its
// children by the engine's status mapping.
type DatabaseClusterStatus struct {
	// ObservedGeneration is the spec generation this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase summarises the cluster's state.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`

	// Version is the engine version running, as resolved from the catalog.
	// +optional
	Version string `json:"version,omitempty"`

	// Image is the database image the engine resolved for the version.
	// +optional
	Image string `json:"image,omitempty"`

	// Instances is the number of database instances the child reports.
	// +optional
	Instances int32 `json:"instances,omitempty"`

	// ReadyInstances is the number of instances ready to serve.
	// +optional
	ReadyInstances int32 `json:"readyInstances,omitempty"`

	// Ready is "readyInstances/instances", for kubectl get.
	// +optional
	Ready string `json:"ready,omitempty"`

	// Primary is the instance that accepts writes, for engines with one.
	// +optional
	Primary string `json:"primary,omitempty"`

	// Members are the instances and their roles.
	// +listType=map
	// +listMapKey=name
	// +optional
	Members []Member `json:"members,omitempty"`

	// Endpoints are where clients connect.
	// +listType=map
	// +listMapKey=name
	// +optional
	Endpoints []Endpoint `json:"endpoints,omitempty"`

	// ConnectionSecret names the Secret with the credentials and address of the
	// application user: for an engine with a binding, the binding Secret, named here
	// as soon as it is rendered (binding names it once it is complete).
	// +optional
	ConnectionSecret string `json:"connectionSecret,omitempty"`

	// Binding makes the cluster a Service Binding (servicebinding.io) Provisioned
	// Service: it names the Secret with the keys type, provider, host, port,
	// username, password, database and uri of the application's least-privileged
	// user, set once the Secret has every key the engine declares.
	// +optional
	Binding *BindingReference `json:"binding,omitempty"`

	// Backup reports the state of backups.
	// +optional
	Backup *BackupStatus `json:"backup,omitempty"`

	// Monitoring reports whether metrics are exported.
	// +optional
	Monitoring *MonitoringStatus `json:"monitoring,omitempty"`

	// TLS reports whether clients reach the database over TLS and where the CA
	// certificate to verify it is.
	// +optional
	TLS *TLSStatus `json:"tls,omitempty"`

	// DataBearing are the children that hold the cluster's data (its database and
	// volumes), recorded by UID when the operator creates them. Only deleting the
	// DatabaseCluster with deletionPolicy Delete deletes them: not prune, not the
	// garbage collector (they carry no owner reference), not an engine change.
	// +listType=atomic
	// +optional
	DataBearing []ChildRef `json:"dataBearing,omitempty"`

	// OneShots are the children that run once (a restore into an existing
	// cluster), recorded when the operator creates them and when they finish. A
	// recorded one-shot is never created again, even if its object is deleted.
	// +listType=map
	// +listMapKey=key
	// +optional
	OneShots []OneShot `json:"oneShots,omitempty"`

	// Conditions: Ready, Reconciled, Progressing, Degraded, and Reconciling and
	// Stalled, which kstatus (Flux, kpt) and Argo CD read.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Member is one database instance.
type Member struct {
	// Name of the instance, usually its pod name.
	Name string `json:"name"`
	// Role of the instance: primary, replica, arbiter, broker, controller, ...
	// +optional
	Role string `json:"role,omitempty"`
	// State of the instance as the child reports it (healthy, failed, ...).
	// +optional
	State string `json:"state,omitempty"`
}

// Endpoint is one address clients connect to.
type Endpoint struct {
	// Name says what the endpoint is for: rw, ro, proxy, bootstrap, ...
	Name string `json:"name"`
	// Host is a DNS name or address.
	Host string `json:"host"`
	// Port is the TCP port.
	// +optional
	Port int32 `json:"port,omitempty"`
}

// BackupStatus reports the state of backups.
type BackupStatus struct {
	// Enabled is true when scheduled backups are configured.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// LastSuccessfulBackup is when the last backup completed.
	// +optional
	LastSuccessfulBackup string `json:"lastSuccessfulBackup,omitempty"`
	// FirstRecoverabilityPoint is the earliest point in time that can be restored.
	// +optional
	FirstRecoverabilityPoint string `json:"firstRecoverabilityPoint,omitempty"`
	// ContinuousArchiving is True when write-ahead logs or oplogs are being archived.
	// +optional
	ContinuousArchiving string `json:"continuousArchiving,omitempty"`
}

// BindingReference names the binding Secret, in the cluster's namespace.
type BindingReference struct {
	// Name of the Secret.
	Name string `json:"name"`
}

// ChildRef identifies one child object of the cluster.
type ChildRef struct {
	// Key is the key the engine gives the child among its rendered objects.
	Key string `json:"key"`
	// APIVersion of the child.
	APIVersion string `json:"apiVersion"`
	// Kind of the child.
	Kind string `json:"kind"`
	// Name of the child, in the cluster's namespace.
	Name string `json:"name"`
	// UID of the child, as the API server created it.
	UID types.UID `json:"uid"`
}

// OneShotPhase is how far a one-shot child got.
// +kubebuilder:validation:Enum=Created;Completed
type OneShotPhase string

const (
	// OneShotCreated: the operator created the child; it runs.
	OneShotCreated OneShotPhase = "Created"
	// OneShotCompleted: the child finished (succeeded or failed); it is never
	// rendered again.
	OneShotCompleted OneShotPhase = "Completed"
)

// OneShot records a child that runs once.
type OneShot struct {
	ChildRef `json:",inline"`
	// Phase is Created while it runs, Completed once it finished.
	Phase OneShotPhase `json:"phase"`
	// LastTransitionTime is when the phase was recorded.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
}

// MonitoringStatus reports whether metrics are exported.
type MonitoringStatus struct {
	// Enabled is true when metrics are exported.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// DatabaseCluster is one database of any engine, run by that engine's child operator.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dbc,categories=dbaas
// +kubebuilder:printcolumn:name="Engine",type=string,JSONPath=`.spec.engine`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.version`
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.status.instances`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DatabaseCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the database.
	Spec DatabaseClusterSpec `json:"spec"`
	// Status is the observed state of the database. It starts as
	// {observedGeneration: 0}, so that kstatus reads a new cluster as in progress.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status DatabaseClusterStatus `json:"status,omitempty"`
}

// DatabaseClusterList is a list of DatabaseClusters.
// +kubebuilder:object:root=true
type DatabaseClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DatabaseCluster `json:"items"`
}
