// Package childcrds lists where the CRDs of the child operators come from and finds
// them. Tests and the dev control plane install these CRDs straight from the modules
// that go.mod pins, never from copies in this repository. A child operator that
// publishes no Go module with its CRDs is a generated source: its CRDs are generated
// from the Go types of a module go.mod pins (Generate, run by `make child-crds`) into
// a git-ignored folder, and found there.
package childcrds

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/engines"
)

// MainModule is the module path of this repository; Root looks for its go.mod.
const MainModule = "dbaas.io/operator"

// Source is one set of child CRDs inside a Go module, or generated from one.
type Source struct {
	// Module is the module path. Its version is the one go.mod requires.
	Module string `json:"module"`
	// Path is the CRD file, or a directory of CRD files, relative to the module root.
	// For a generated source it is instead the directory, relative to the module
	// root, of the Go package whose types the CRDs are generated from.
	Path string `json:"path"`
	// Generated, when set, makes this a generated source: the module ships no CRDs,
	// and Generate writes them, from the Go types in Path, into this directory
	// relative to the repository root (git-ignored, like everything under bin/).
	Generated string `json:"generated,omitempty"`
	// Template, when set, says the CRD files are templates of the project's Helm
	// chart (cert-manager's): YAML whose template actions sit in comments and in the
	// values of the labels, which no API server accepts. CRDs drops those labels.
	Template bool `json:"template,omitempty"`
}

// Sources are the child CRDs, one entry per engine, read from its
// engines/<engine>/crds.yaml: like the rest of an engine, where its child operator
// comes from is data. Then the CRDs of the add-on kinds, one entry per
// engines/<name>.crds.yaml (the Prometheus operator's). The modules must be
// required by go.mod (hack/deps.go keeps them there).
var Sources = mustReadSources(engines.ChildCRDs)

// readSources reads every */crds.yaml of fsys, in the order of the engine folders,
// then every *.crds.yaml.
func readSources(fsys fs.FS) ([]Source, error) {
	files, err := fs.Glob(fsys, "*/crds.yaml")
	if err != nil {
		return nil, err
	}
	addOns, err := fs.Glob(fsys, "*.crds.yaml")
	if err != nil {
		return nil, err
	}
	files = append(files, addOns...)
	var out []Source
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var s Source
		if err := yaml.UnmarshalStrict(b, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if s.Module == "" || s.Path == "" {
			return nil, fmt.Errorf("%s: module and path are required", f)
		}
		out = append(out, s)
	}
	return out, nil
}

// mustReadSources reads the embedded sources; they are checked by the tests, so a
// failure here is a build defect.
func mustReadSources(fsys fs.FS) []Source {
	s, err := readSources(fsys)
	if err != nil {
		panic(fmt.Sprintf("engines/*/crds.yaml: %v", err))
	}
	return s
}

// StampFile is the file, in a generated source's directory, that records what the
// CRDs there were generated from: the module path and version on its first line,
// the controller-gen version on its second. The CRD loaders of envtest and
// hack/gen-schemas.sh read only .yaml, .yml and .json files, so they skip it.
const StampFile = "generated-from.txt"

// Resolved is a Source found in the module cache.
type Resolved struct {
	Source
	// Version is the module version that go.mod requires.
	Version string
	// Dir is the module's directory in the module cache.
	Dir string
	// Root is the repository root, where a generated source's CRDs are.
	Root string
}

// CRDPath is the absolute path of the CRD file or directory: in the module cache, or
// for a generated source the directory that Generate writes.
func (r Resolved) CRDPath() string {
	if r.Generated != "" {
		return filepath.Join(r.Root, filepath.FromSlash(r.Generated))
	}
	return filepath.Join(r.Dir, filepath.FromSlash(r.Path))
}

// CRDs reads the CRDs of the source as envtest does when it installs them from
// files. A template source's labels are dropped (see Source.Template); a template
// action left anywhere else makes it fail.
func (r Resolved) CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	opts := envtest.CRDInstallOptions{Paths: []string{r.CRDPath()}, ErrorIfPathMissing: true}
	if err := envtest.ReadCRDFiles(&opts); err != nil {
		return nil, fmt.Errorf("cannot read the CRDs of %s@%s: %w", r.Module, r.Version, err)
	}
	if len(opts.CRDs) == 0 {
		return nil, fmt.Errorf("no CRDs in %s (%s@%s)", r.CRDPath(), r.Module, r.Version)
	}
	if !r.Template {
		return opts.CRDs, nil
	}
	for _, crd := range opts.CRDs {
		crd.Labels = nil
		data, err := yaml.Marshal(crd)
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(data), "{{") {
			return nil, fmt.Errorf("CRD %s of %s@%s holds a template action outside its labels", crd.Name, r.Module, r.Version)
		}
	}
	return opts.CRDs, nil
}

// stamp is the first line of a generated source's StampFile.
func (r Resolved) stamp() string {
	return r.Module + " " + r.Version
}

// Paths returns the absolute path of every source's CRD file or directory, in the
// order of Sources, downloading modules that are not in the module cache yet. The
// CRDs of generated sources must have been generated (`make child-crds`).
func Paths() ([]string, error) {
	resolved, err := Resolve(context.Background())
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(resolved))
	for _, r := range resolved {
		paths = append(paths, r.CRDPath())
	}
	return paths, nil
}

// Resolve finds every source in the module cache, downloading missing modules, and
// the CRDs of generated sources in the repository. It runs the go command in the
// repository root (see Root).
func Resolve(ctx context.Context) ([]Resolved, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	return ResolveIn(ctx, root)
}

// ResolveIn is Resolve with the go command run in root, a directory of this module.
func ResolveIn(ctx context.Context, root string) ([]Resolved, error) {
	out := make([]Resolved, 0, len(Sources))
	for _, src := range Sources {
		r, err := resolve(ctx, root, src)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resolve finds one source, downloading its module when the cache lacks it. The CRDs
// of a generated source must be there and generated from the required version.
func resolve(ctx context.Context, root string, src Source) (Resolved, error) {
	r, err := resolveModule(ctx, root, src)
	if err != nil {
		return r, err
	}
	if src.Generated != "" {
		data, err := os.ReadFile(filepath.Join(r.CRDPath(), StampFile))
		if err != nil {
			return r, fmt.Errorf("the CRDs generated from %s@%s are missing (%w): run `make child-crds`", src.Module, r.Version, err)
		}
		if first, _, _ := strings.Cut(string(data), "\n"); strings.TrimSpace(first) != r.stamp() {
			return r, fmt.Errorf("the CRDs in %s were generated from %s, not from %s: run `make child-crds`", r.CRDPath(), strings.TrimSpace(first), r.stamp())
		}
		return r, nil
	}
	if _, err := os.Stat(r.CRDPath()); err != nil {
		return r, fmt.Errorf("cannot find the CRDs of %s@%s: %w", src.Module, r.Version, err)
	}
	return r, nil
}

// resolveModule finds the module of one source, downloading it when the cache lacks
// it.
func resolveModule(ctx context.Context, root string, src Source) (Resolved, error) {
	r := Resolved{Source: src, Root: root}
	dir, version, err := listModule(ctx, root, src.Module)
	if err != nil {
		return r, err
	}
	if dir == "" {
		if _, err := goCommand(ctx, root, "mod", "download", src.Module); err != nil {
			return r, fmt.Errorf("cannot download module %s: %w", src.Module, err)
		}
		if dir, version, err = listModule(ctx, root, src.Module); err != nil {
			return r, err
		}
		if dir == "" {
			return r, fmt.Errorf("module %s %s is not in the module cache after go mod download", src.Module, version)
		}
	}
	r.Dir, r.Version = dir, version
	return r, nil
}

// ModuleDir returns the directory, in the module cache, of a module that go.mod
// requires, downloading it when it is not there yet: for files a module ships that
// are not child CRDs, such as cert-manager's CRDs, which the Helm chart's test
// installs.
func ModuleDir(ctx context.Context, root, module string) (string, error) {
	r, err := resolveModule(ctx, root, Source{Module: module})
	return r.Dir, err
}

// listModule asks the go command for a required module's directory and version.
// The directory is empty when the module is not downloaded yet.
func listModule(ctx context.Context, root, module string) (dir, version string, err error) {
	out, err := goCommand(ctx, root, "list", "-m", "-f", "{{.Version}}\t{{.Dir}}", module)
	if err != nil {
		return "", "", fmt.Errorf("cannot list module %s (is it required by go.mod?): %w", module, err)
	}
	version, dir, _ = strings.Cut(strings.TrimSpace(out), "\t")
	return dir, version, nil
}

// goCommand runs the go command in dir and returns its standard output.
func goCommand(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Root returns the repository root: the nearest directory, from the working
// directory upwards, whose go.mod declares MainModule.
func Root() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot get the working directory: %w", err)
	}
	for dir := wd; ; {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find the go.mod of module %s in %s or above: run from inside the repository", MainModule, wd)
		}
		dir = parent
	}
}

// isMainModule reports whether the go.mod file at path declares MainModule.
func isMainModule(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == MainModule
		}
	}
	return false
}
