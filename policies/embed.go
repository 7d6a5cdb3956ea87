// Package policies holds the Rego policies of the operator and their data, embedded in
// the binary. A directory with the same layout (--policies-dir) overrides them.
package policies

import "embed"

// FS holds the policies as shipped: Rego modules (the loader skips *_test.rego) and the
// data files beside them.
//
//go:embed lib cluster ops engines *.yaml
var FS embed.FS
