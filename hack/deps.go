//go:build tools

// Package hack pins modules the build uses for their files or commands rather than
// their Go packages: CloudNativePG's CRDs (installed into test control planes straight
// from the module cache) and the cue command.
package hack

import (
	_ "cuelang.org/go/cmd/cue"
	_ "github.com/cloudnative-pg/cloudnative-pg/api/v1"
)
