// Package release renders the release manifests from config/default, the single
// source of what the operator installs: dist/crds.yaml (the CRDs alone, applied first
// and never deleted with the operator, so that uninstalling keeps every
// DatabaseCluster) and dist/install.yaml (everything else, with the Deployment's
// image pinned to the digest of the image `make image` built).
package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Options say what to render.
type Options struct {
	// Kubectl is the kubectl binary whose kustomize renders ConfigDir.
	Kubectl string
	// ConfigDir is the kustomization of everything the operator needs, config/default.
	ConfigDir string
	// Image is the operator's image by digest, <registry>/dbaas-operator@sha256:<hex>.
	Image string
	// Version is the release's version, written in the files' headers.
	Version string
}

// Manifests are the two files of a release.
type Manifests struct {
	// CRDs is crds.yaml: the CustomResourceDefinitions.
	CRDs []byte
	// Install is install.yaml: the namespace, RBAC, webhook configurations, Services
	// and the Deployment.
	Install []byte
}

// Render renders o.ConfigDir with the Deployment's image set to o.Image, and splits
// the CRDs from the rest.
func Render(ctx context.Context, o Options) (Manifests, error) {
	rendered, err := kustomize(ctx, o)
	if err != nil {
		return Manifests{}, err
	}
	crds, install, err := split(rendered)
	if err != nil {
		return Manifests{}, err
	}
	if err := checkPinned(install, o.Image); err != nil {
		return Manifests{}, err
	}
	return Manifests{
		CRDs: join(fmt.Sprintf("# dbaas-operator %s: the CRDs. Apply them first:\n#   kubectl apply --server-side -f crds.yaml\n"+
			"# They are kept when the operator is uninstalled: deleting them deletes every\n# DatabaseCluster and OpsRequest.\n", o.Version), crds),
		Install: join(fmt.Sprintf("# dbaas-operator %s: the operator in dbaas-system, image %s.\n"+
			"# Apply after crds.yaml:\n#   kubectl apply --server-side -f install.yaml\n"+
			"# Uninstall with kubectl delete -f install.yaml (the CRDs and the databases stay).\n", o.Version, o.Image), install),
	}, nil
}

// Write writes m as crds.yaml and install.yaml into dir.
func (m Manifests) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	for name, data := range map[string][]byte{"crds.yaml": m.CRDs, "install.yaml": m.Install} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
	}
	return nil
}

// kustomize renders o.ConfigDir through a kustomization of its own, in a temporary
// folder, that sets the image: config/ stays untouched and its one source.
func kustomize(ctx context.Context, o Options) ([]byte, error) {
	dir, err := os.MkdirTemp("", "dbaas-release-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a folder for the kustomization: %w", err)
	}
	defer os.RemoveAll(dir)
	abs, err := filepath.Abs(o.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve %s: %w", o.ConfigDir, err)
	}
	// kustomize refuses absolute paths to other kustomizations.
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s from %s: %w", abs, dir, err)
	}
	name, digest, err := splitImage(o.Image)
	if err != nil {
		return nil, err
	}
	// "dbaas-operator" is the image name config/manager/kustomization.yaml sets.
	k := fmt.Sprintf("resources:\n- %s\nimages:\n- name: dbaas-operator\n  newName: %s\n  digest: %s\n", rel, name, digest)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		return nil, fmt.Errorf("cannot write the kustomization: %w", err)
	}
	cmd := exec.CommandContext(ctx, o.Kubectl, "kustomize", dir)
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	if err != nil {
		return nil, fmt.Errorf("cannot render %s: %w\n%s", o.ConfigDir, err, stderr)
	}
	return out, nil
}
