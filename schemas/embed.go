// Package schemas embeds the CUE schemas the operator checks engines against.
package schemas

import "embed"

// Engine holds schemas/engine: the #Engine contract every engine package satisfies.
//
//go:embed engine/*.cue
var Engine embed.FS
