// Package engines embeds the engine packages shipped with the operator: one folder
// per engine, each a self-contained CUE package (the *.cue files directly in the
// folder). Subfolders (testdata, simulate) are not part of an engine.
package engines

import (
	"embed"
	"io/fs"
)

//go:embed */*.cue
var embedded embed.FS

// FS returns the embedded engines, one folder per engine.
func FS() fs.FS { return embedded }

// Simulations holds each engine's simulate/ package, which plays the child operator
// in tests and `dbaasctl dev --simulate`. The operator binary never references it.
//
//go:embed */simulate/*.cue
var Simulations embed.FS

// ChildCRDs holds each engine's crds.yaml: the Go module its child operator's CRDs
// come from (see internal/childcrds); and <name>.crds.yaml, where the CRDs of the
// add-on kinds come from (the Prometheus operator's PodMonitor).
//
//go:embed */crds.yaml *.crds.yaml
var ChildCRDs embed.FS
