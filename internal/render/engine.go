package render

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Stage is one applier stage of an engine.
type Stage string

// The applier stages, in the order their objects are unified.
const (
	StageMetadata   Stage = "metadata"
	StageEngine     Stage = "engine"
	StageProxy      Stage = "proxy"
	StageMonitoring Stage = "monitoring"
	StageScheduling Stage = "scheduling"
	StageBackup     Stage = "backup"
	StageDataSource Stage = "dataSource"
)

// Stages lists the applier stages in evaluation order.
var Stages = []Stage{StageMetadata, StageEngine, StageProxy, StageMonitoring, StageScheduling, StageBackup, StageDataSource}

// Version is one entry of an engine's catalog.
type Version struct {
	Name    string `json:"-"`
	Image   string `json:"image"`
	Default bool   `json:"default,omitempty"`
}

// Operator is the child operator release an engine is written for (see the
// contract's #Operator).
type Operator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Install is the command that installs Version.
	Install string `json:"install"`
	// Image is the repository of the operator's image, without tag.
	Image string `json:"image,omitempty"`
}

// Engine is one compiled engine package. It is immutable once loaded, except for its
// memo of recent renders and its pool of compiled instances, each of which evaluates
// one input at a time; the admission webhooks evaluate it through a view with a memo
// and a pool of its own (Admission). Every evaluation runs under a deadline
// (EvalTimeout).
type Engine struct {
	// Name is the spec.engine value that selects the engine.
	Name string
	// Digest is the sha256 of the package's files; equal digests mean equal engines.
	Digest string
	// Source says where the engine came from: "embedded" or a directory.
	Source string
	// Versions is the catalog, sorted by version.
	Versions []Version
	// DefaultVersion is the catalog's default.
	DefaultVersion string
	// Kinds are the child kinds the engine may render.
	Kinds []schema.GroupVersionKind
	// Operator is the child operator that serves Kinds; nil when the engine names
	// none.
	Operator *Operator
	// Operations are the OpsRequest types the engine defines, sorted.
	Operations []string
	// Unqueued are the operation types that do not wait in the cluster's queue.
	Unqueued map[string]bool
	// DataBearing are the keys of the children that hold data (see the contract).
	DataBearing []string
	// RetainedKeys are the keys kept besides the data-bearing ones under deletionPolicy
	// Retain (cleanup.retain).
	RetainedKeys []string
	// Binding is the key of the rendered Secret that is the cluster's Service
	// Binding Secret (the engine's binding); "" when the engine has none.
	Binding string
	// OneShots are the keys of the children that run once.
	OneShots []string
	// DefaultTimeouts are the operation types' default timeouts, in seconds.
	DefaultTimeouts map[string]int64
	// CLI is what dbaasctl needs to connect to the engine's clusters and list their
	// backups (the package's cli field); nil when the engine declares none.
	CLI *CLI

	// ev evaluates the engine for this view's callers (see Admission).
	ev     *evaluator
	shared *shared
}

// CLI is the engine's cli field (see #CLI in schemas/engine).
type CLI struct {
	// Connect says where `dbaasctl connect` runs the engine's client.
	Connect *CLIConnect `json:"connect,omitempty"`
	// Backups says which objects `dbaasctl backups list` lists.
	Backups *CLIBackups `json:"backups,omitempty"`
}

// CLIConnect is a pod template, a container and a command (see #CLI).
type CLIConnect struct {
	Pod       string   `json:"pod"`
	Container string   `json:"container"`
	Command   []string `json:"command"`
}

// CLIBackups is a backup kind and the paths of its fields (see #CLI).
type CLIBackups struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Cluster    string `json:"cluster"`
	Phase      string `json:"phase"`
	Started    string `json:"started,omitempty"`
	Completed  string `json:"completed,omitempty"`
}

// HasVersion reports whether v is in the catalog.
func (e *Engine) HasVersion(v string) bool {
	return slices.ContainsFunc(e.Versions, func(c Version) bool { return c.Name == v })
}

// IsDataBearing reports whether the child of key holds data.
func (e *Engine) IsDataBearing(key string) bool { return slices.Contains(e.DataBearing, key) }

// IsOneShot reports whether the child of key runs once.
func (e *Engine) IsOneShot(key string) bool { return slices.Contains(e.OneShots, key) }

// Ownerless reports whether the child of key is created without an owner
// reference, so that the garbage collector never deletes it: the data-bearing
// children and the ones kept with them under deletionPolicy Retain.
func (e *Engine) Ownerless(key string) bool {
	return e.IsDataBearing(key) || slices.Contains(e.RetainedKeys, key)
}

// VersionNames lists the catalog's versions.
func (e *Engine) VersionNames() []string {
	names := make([]string, 0, len(e.Versions))
	for _, c := range e.Versions {
		names = append(names, c.Name)
	}
	return names
}
