package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// OpsType is a day-2 operation on a DatabaseCluster.
// +kubebuilder:validation:Enum=Start;Stop;Restart;HorizontalScaling;VerticalScaling;VolumeExpansion;Reconfiguring;Upgrade;Backup;Restore;Switchover;RebuildInstance;RotateCredentials;Custom
type OpsType string

// The operation types.
const (
	OpsStart             OpsType = "Start"
	OpsStop              OpsType = "Stop"
	OpsRestart           OpsType = "Restart"
	OpsHorizontalScaling OpsType = "HorizontalScaling"
	OpsVerticalScaling   OpsType = "VerticalScaling"
	OpsVolumeExpansion   OpsType = "VolumeExpansion"
	OpsReconfiguring     OpsType = "Reconfiguring"
	OpsUpgrade           OpsType = "Upgrade"
	OpsBackup            OpsType = "Backup"
	OpsRestore           OpsType = "Restore"
	OpsSwitchover        OpsType = "Switchover"
	OpsRebuildInstance   OpsType = "RebuildInstance"
	OpsRotateCredentials OpsType = "RotateCredentials"
	OpsCustom            OpsType = "Custom"
)

// OpsRequestSpec is one day-2 operation on a DatabaseCluster. It is immutable after
// creation except for cancel.
// The API server keeps clusterRef, type and dryRun as they were even without the
// webhook: a dry run that became real, or a real one that became a dry run (and so
// left the queue), would act on a decision nobody made.
// +kubebuilder:validation:XValidation:rule="self.clusterRef == oldSelf.clusterRef && self.type == oldSelf.type && (has(self.dryRun) && self.dryRun) == (has(oldSelf.dryRun) && oldSelf.dryRun)",message="an OpsRequest is immutable: create a new one"
// +kubebuilder:validation:XValidation:rule="self.type != 'HorizontalScaling' || has(self.horizontalScaling)",message="type HorizontalScaling needs horizontalScaling"
// +kubebuilder:validation:XValidation:rule="self.type != 'VerticalScaling' || has(self.verticalScaling)",message="type VerticalScaling needs verticalScaling"
// +kubebuilder:validation:XValidation:rule="self.type != 'VolumeExpansion' || has(self.volumeExpansion)",message="type VolumeExpansion needs volumeExpansion"
// +kubebuilder:validation:XValidation:rule="self.type != 'Reconfiguring' || has(self.reconfiguring)",message="type Reconfiguring needs reconfiguring"
// +kubebuilder:validation:XValidation:rule="self.type != 'Upgrade' || has(self.upgrade)",message="type Upgrade needs upgrade"
// +kubebuilder:validation:XValidation:rule="self.type != 'Restore' || has(self.restore)",message="type Restore needs restore"
// +kubebuilder:validation:XValidation:rule="self.type != 'RebuildInstance' || has(self.rebuildInstance)",message="type RebuildInstance needs rebuildInstance"
// +kubebuilder:validation:XValidation:rule="self.type != 'Custom' || has(self.custom)",message="type Custom needs custom"
type OpsRequestSpec struct {
	// ClusterRef is the name of the DatabaseCluster, in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClusterRef string `json:"clusterRef"`

	// Type is the operation.
	Type OpsType `json:"type"`

	// HorizontalScaling parameters, for type HorizontalScaling.
	// +optional
	HorizontalScaling *HorizontalScaling `json:"horizontalScaling,omitempty"`
	// VerticalScaling parameters, for type VerticalScaling.
	// +optional
	VerticalScaling *VerticalScaling `json:"verticalScaling,omitempty"`
	// VolumeExpansion parameters, for type VolumeExpansion.
	// +optional
	VolumeExpansion *VolumeExpansion `json:"volumeExpansion,omitempty"`
	// Reconfiguring parameters, for type Reconfiguring.
	// +optional
	Reconfiguring *Reconfiguring `json:"reconfiguring,omitempty"`
	// Upgrade parameters, for type Upgrade.
	// +optional
	Upgrade *Upgrade `json:"upgrade,omitempty"`
	// Switchover parameters, for type Switchover. Default: the healthiest replica.
	// +optional
	Switchover *Switchover `json:"switchover,omitempty"`
	// RebuildInstance parameters, for type RebuildInstance.
	// +optional
	RebuildInstance *RebuildInstance `json:"rebuildInstance,omitempty"`
	// Backup parameters, for type Backup. Default: a generated backup name.
	// +optional
	Backup *BackupOps `json:"backup,omitempty"`
	// Restore parameters, for type Restore.
	// +optional
	Restore *Restore `json:"restore,omitempty"`
	// Custom parameters, for type Custom.
	// +optional
	Custom *Custom `json:"custom,omitempty"`

	// DryRun evaluates the operation as it would run now (the ops policy, the
	// engine's checks of its parameters, the steps it would take with their targets)
	// and records the steps in status.plan without taking any: the operation ends
	// Succeeded with reason DryRun, or Failed with the reasons a real one would fail
	// with. It neither waits in nor holds the cluster's queue.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`

	// Cancel cancels the operation. A Pending one ends Cancelled with nothing changed;
	// a Running one runs the rollback its plan records (the spec it patched goes back
	// to what it was) and ends Cancelled, or, when the engine declares no safe way
	// back for its type, says why and goes on.
	// +optional
	Cancel bool `json:"cancel,omitempty"`

	// TimeoutSeconds fails the operation as TimedOut when it waits in the queue longer
	// (counted from its creation) or runs longer (counted from its start). Default: the
	// engine's default for the operation type, shown in status.timeoutSeconds.
	// +kubebuilder:validation:Minimum=1
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// TTLSecondsAfterFinished deletes the OpsRequest this long after it finished,
	// whatever the outcome. Default: kept.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// HorizontalScaling changes the number of instances.
type HorizontalScaling struct {
	// Replicas is the new number of instances.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=15
	Replicas int32 `json:"replicas"`
}

// VerticalScaling changes the resources of each instance.
type VerticalScaling struct {
	// Resources are the new requests and limits.
	Resources Resources `json:"resources"`
}

// VolumeExpansion grows each instance's volume.
type VolumeExpansion struct {
	// Size is the new volume size; it must be larger than the current one.
	// +kubebuilder:validation:XIntOrString
	Size resource.Quantity `json:"size"`
}

// Reconfiguring changes configuration parameters.
type Reconfiguring struct {
	// Config are the parameters to set; they are merged into spec.config by name.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	Config []ConfigParameter `json:"config"`
}

// Upgrade changes the engine version.
type Upgrade struct {
	// Version is a version from the engine's catalog, newer than the running one.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	Version string `json:"version"`
}

// Switchover promotes another instance to primary.
type Switchover struct {
	// Instance to promote. Default: the healthiest replica.
	// +optional
	Instance string `json:"instance,omitempty"`
}

// RebuildInstance recreates one instance from scratch.
type RebuildInstance struct {
	// Instance to rebuild; never the primary.
	// +kubebuilder:validation:MinLength=1
	Instance string `json:"instance"`
}

// BackupOps takes an on-demand backup.
type BackupOps struct {
	// Name of the backup object to create. Default: the OpsRequest's name and the
	// start of its UID, unique to the request.
	// +optional
	Name string `json:"name,omitempty"`
	// StorageName is the BackupStorage, in this namespace, to back up to. Default:
	// the cluster's own storage. An engine takes only a storage its child operator
	// can back up to on demand, and says why it refuses another.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageName string `json:"storageName,omitempty"`
}

// BackupStorageNames are the names of the BackupStorages the operation names.
func (s *OpsRequestSpec) BackupStorageNames() []string {
	if s.Backup != nil && s.Backup.StorageName != "" {
		return []string{s.Backup.StorageName}
	}
	if s.Restore != nil && s.Restore.BackupStorage != nil {
		return []string{s.Restore.BackupStorage.Name}
	}
	return nil
}

// Restore restores a backup: a backup object (backupName) or what a cluster backed
// up to a BackupStorage (backupStorage). Where it goes is the engine's: a new
// DatabaseCluster (targetCluster), or this cluster in place of its data for an
// engine whose child operator restores into a running cluster.
// +kubebuilder:validation:XValidation:rule="has(self.backupName) != has(self.backupStorage)",message="set one of restore.backupName or restore.backupStorage"
// +kubebuilder:validation:XValidation:rule="!has(self.backupStorage) || !has(self.pointInTime)",message="restore.backupStorage takes the point in time as backupStorage.pointInTime"
type Restore struct {
	// BackupName is the backup to restore into a new cluster.
	// +kubebuilder:validation:MinLength=1
	// +optional
	BackupName string `json:"backupName,omitempty"`
	// BackupStorage is a backup in a BackupStorage, in this namespace, to restore
	// (path as in spec.dataSource.backupStorage): into a new DatabaseCluster with
	// this dataSource.backupStorage for postgresql and mysql, into this cluster,
	// replacing its data, for mongodb.
	// +optional
	BackupStorage *BackupStorageSource `json:"backupStorage,omitempty"`
	// PointInTime restores up to this moment. Default: the end of the backup.
	// +optional
	PointInTime *metav1.Time `json:"pointInTime,omitempty"`
	// TargetCluster is the name of the new DatabaseCluster, for an engine that
	// restores into one. Default: the engine's, such as
	// "<clusterRef>-restore-<opsrequest name>".
	// +optional
	TargetCluster string `json:"targetCluster,omitempty"`
}

// Custom runs an operation defined only by the engine.
type Custom struct {
	// Name of the engine's custom operation, such as reload.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Params are the operation's parameters, checked by its CUE schema.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Params *runtime.RawExtension `json:"params,omitempty"`
}

// OpsPhase is the state of an OpsRequest.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed;Cancelled;TimedOut
type OpsPhase string

// The phases of an OpsRequest.
const (
	OpsPending   OpsPhase = "Pending"
	OpsRunning   OpsPhase = "Running"
	OpsSucceeded OpsPhase = "Succeeded"
	OpsFailed    OpsPhase = "Failed"
	OpsCancelled OpsPhase = "Cancelled"
	OpsTimedOut  OpsPhase = "TimedOut"
)

// OpsAction is one entry of an OpsRequest's action log.
type OpsAction struct {
	// Time the action happened.
	Time metav1.Time `json:"time"`
	// Action is a short name: Queued, Started, Patched, Created, Succeeded, ...
	Action string `json:"action"`
	// Message says what happened.
	// +optional
	Message string `json:"message,omitempty"`
}

// OpsRequestStatus is the observed state of an OpsRequest.
type OpsRequestStatus struct {
	// Phase of the operation.
	// +optional
	Phase OpsPhase `json:"phase,omitempty"`
	// Progress is "done/total" steps.
	// +optional
	Progress string `json:"progress,omitempty"`
	// StartTime is when the operation started running.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CompletionTime is when the operation finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// ClusterUID is the UID of the DatabaseCluster the operation was first seen with:
	// it acts on that cluster only, not on another one created under the same name.
	// +optional
	ClusterUID types.UID `json:"clusterUID,omitempty"`
	// TimeoutSeconds is the timeout in effect: spec.timeoutSeconds, or the engine's
	// default for the operation type.
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`
	// Plan is what the operation does, recorded before it changes anything.
	// +optional
	Plan *OpsPlan `json:"plan,omitempty"`
	// Actions is the most recent actions, oldest first (bounded).
	// +kubebuilder:validation:MaxItems=50
	// +optional
	Actions []OpsAction `json:"actions,omitempty"`
	// Conditions: Succeeded, Queued, PolicyAllowed.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// OpsRequest is one day-2 operation on a DatabaseCluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ops,categories=dbaas
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterRef`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Dry Run",type=boolean,JSONPath=`.spec.dryRun`,priority=1
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type OpsRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the operation.
	Spec OpsRequestSpec `json:"spec"`
	// Status is its progress.
	// +optional
	Status OpsRequestStatus `json:"status,omitempty"`
}

// OpsRequestList is a list of OpsRequests.
// +kubebuilder:object:root=true
type OpsRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OpsRequest `json:"items"`
}
