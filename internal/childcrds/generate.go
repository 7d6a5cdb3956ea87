package childcrds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Generate writes the CRDs of every generated source (Source.Generated) with
// controller-gen, the binary at controllerGen, run in root, a directory of this
// module. A source whose CRDs were generated from the required module version by the
// same controller-gen version is left as it is. Progress goes to log.
//
// controller-gen runs with crd:allowDangerousTypes=true: the types describe the
// child operator's API, whose real CRDs use number (float) fields, as Strimzi's
// KafkaUser quotas do.
func Generate(ctx context.Context, root, controllerGen string, log io.Writer) ([]Resolved, error) {
	cgVersion, err := controllerGenVersion(ctx, controllerGen)
	if err != nil {
		return nil, err
	}
	var out []Resolved
	for _, src := range Sources {
		if src.Generated == "" {
			continue
		}
		r, err := generateSource(ctx, root, controllerGen, cgVersion, src, log)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// GenerateSource is Generate for one source that is not a child operator's, such as
// the CRDs of a kind the Helm chart renders (the Prometheus Operator's), which its
// test installs. src.Generated must be set.
func GenerateSource(ctx context.Context, root, controllerGen string, src Source, log io.Writer) (Resolved, error) {
	if src.Generated == "" {
		return Resolved{}, fmt.Errorf("%s: no directory to generate into", src.Module)
	}
	cgVersion, err := controllerGenVersion(ctx, controllerGen)
	if err != nil {
		return Resolved{}, err
	}
	return generateSource(ctx, root, controllerGen, cgVersion, src, log)
}

// generateSource generates the CRDs of src unless they were generated from the
// required module version by controller-gen cgVersion.
func generateSource(ctx context.Context, root, controllerGen, cgVersion string, src Source, log io.Writer) (Resolved, error) {
	r, err := resolveModule(ctx, root, src)
	if err != nil {
		return r, err
	}
	stamp := r.stamp() + "\n" + cgVersion + "\n"
	if data, err := os.ReadFile(filepath.Join(r.CRDPath(), StampFile)); err == nil && string(data) == stamp {
		fmt.Fprintf(log, "%s: up to date (%s@%s, %s)\n", src.Generated, r.Module, r.Version, cgVersion)
		return r, nil
	}
	if err := generate(ctx, r, controllerGen, stamp); err != nil {
		return r, err
	}
	fmt.Fprintf(log, "%s: generated from %s@%s/%s with %s\n", src.Generated, r.Module, r.Version, r.Path, cgVersion)
	return r, nil
}

// generate writes the CRDs of one generated source into a new directory beside its
// directory, then puts that in its place.
func generate(ctx context.Context, r Resolved, controllerGen, stamp string) error {
	dest := r.CRDPath()
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkg := filepath.Join(r.Dir, filepath.FromSlash(r.Path))
	cmd := exec.CommandContext(ctx, controllerGen,
		"crd:allowDangerousTypes=true",
		"paths="+pkg,
		"output:crd:artifacts:config="+tmp)
	cmd.Dir = r.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("controller-gen on %s@%s/%s: %w: %s", r.Module, r.Version, r.Path, err, strings.TrimSpace(string(out)))
	}
	crds, err := filepath.Glob(filepath.Join(tmp, "*.yaml"))
	if err != nil {
		return err
	}
	if len(crds) == 0 {
		return fmt.Errorf("controller-gen wrote no CRDs for %s@%s/%s (do its types carry +kubebuilder:object:root markers?)", r.Module, r.Version, r.Path)
	}
	if err := os.WriteFile(filepath.Join(tmp, StampFile), []byte(stamp), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}

// controllerGenVersion returns the version that controller-gen reports, such as
// "controller-gen v0.23.0".
func controllerGenVersion(ctx context.Context, controllerGen string) (string, error) {
	if controllerGen == "" {
		return "", errors.New("no controller-gen binary given (run `make controller-gen`)")
	}
	out, err := exec.CommandContext(ctx, controllerGen, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("cannot run %s --version (run `make controller-gen`): %w", controllerGen, err)
	}
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Version:"))
	if v == "" {
		return "", fmt.Errorf("%s --version printed no version", controllerGen)
	}
	return "controller-gen " + v, nil
}
