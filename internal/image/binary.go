package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Binary says how to build one platform's operator binary.
type Binary struct {
	// ModuleRoot is the folder of this module's go.mod; the build runs there.
	ModuleRoot string
	// Package is the main package, e.g. ./cmd/dbaas-operator.
	Package string
	// Arch is the GOARCH to cross-compile for; GOOS is always linux.
	Arch string
	// Version is stamped into main.version, which --version prints.
	Version string
	// Out is the path of the binary to write.
	Out string
}

// Build runs `go build` for b: static (no cgo), without paths of this machine
// (-trimpath), without symbols or a build ID, and without VCS stamping, so that the
// same source and toolchain give the same bytes on any machine.
func (b Binary) Build(ctx context.Context) error {
	ldflags := strings.Join([]string{"-s", "-w", "-buildid=", "-X", "main.version=" + b.Version}, " ")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", ldflags, "-o", b.Out, b.Package)
	cmd.Dir = b.ModuleRoot
	// GOFLAGS from the caller (-race, -cover, a -mod) would change the binary; GOOS,
	// GOARCH and CGO_ENABLED are fixed by the image, not by the caller's shell.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+b.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot build %s for linux/%s: %w\n%s", b.Package, b.Arch, err, out)
	}
	return nil
}
