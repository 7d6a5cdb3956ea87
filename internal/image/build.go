package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Build cross-compiles the operator for each GOARCH in arches, builds the index and
// writes it as an OCI layout tarball at out (through a temporary file, so that a
// failed build leaves no half-written image). It returns the digest of the index.
func Build(ctx context.Context, moduleRoot string, arches []string, m Metadata, out string) (string, error) {
	tmp, err := os.MkdirTemp("", "dbaas-image-")
	if err != nil {
		return "", fmt.Errorf("cannot create a build folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	binaries := map[string]string{}
	for _, arch := range arches {
		b := Binary{ModuleRoot: moduleRoot, Package: "./cmd/dbaas-operator", Arch: arch, Version: m.Version,
			Out: filepath.Join(tmp, "dbaas-operator-"+arch)}
		if err := b.Build(ctx); err != nil {
			return "", err
		}
		binaries[arch] = b.Out
	}
	idx, err := Index(binaries, m)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("cannot create the folder of %s: %w", out, err)
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".image-*")
	if err != nil {
		return "", fmt.Errorf("cannot create %s: %w", out, err)
	}
	defer os.Remove(f.Name())
	if err := WriteLayout(f, idx, m.Version, m.Created); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", out, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", out, err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", out, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", fmt.Errorf("cannot compute the index digest: %w", err)
	}
	return d.String(), nil
}

// Arches parses a list of platforms such as linux/amd64,linux/arm64 into GOARCHes.
func Arches(platforms string) ([]string, error) {
	var arches []string
	for p := range strings.SplitSeq(platforms, ",") {
		arch, ok := strings.CutPrefix(strings.TrimSpace(p), "linux/")
		if !ok || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("platform %q: want linux/<GOARCH>, e.g. linux/arm64", p)
		}
		arches = append(arches, arch)
	}
	return arches, nil
}
