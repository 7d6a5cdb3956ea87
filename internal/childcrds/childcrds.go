// Package childcrds lists where the CRDs of the child operators come from and finds
// them in the Go module cache. Tests and the dev control plane install these CRDs
// straight from the modules that go.mod pins, never from copies in this repository.
package childcrds

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MainModule is the module path of this repository; Root looks for its go.mod.
const MainModule = "dbaas.io/operator"

// Source is one set of child CRDs inside a Go module.
type Source struct {
	// Module is the module path. Its version is the one go.mod requires.
	Module string
	// Path is the CRD file, or a directory of CRD files, relative to the module root.
	Path string
}

// Sources are the child CRDs, one entry per child operator module. The modules must
// be required by go.mod (hack/deps.go keeps them there).
var Sources = []Source{
	{Module: "github.com/cloudnative-pg/cloudnative-pg", Path: "config/crd/bases"},
}

// Resolved is a Source found in the module cache.
type Resolved struct {
	Source
	// Version is the module version that go.mod requires.
	Version string
	// Dir is the module's directory in the module cache.
	Dir string
}

// CRDPath is the absolute path of the CRD file or directory.
func (r Resolved) CRDPath() string {
	return filepath.Join(r.Dir, filepath.FromSlash(r.Path))
}

// Paths returns the absolute path of every source's CRD file or directory, in the
// order of Sources, downloading modules that are not in the module cache yet.
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

// Resolve finds every source in the module cache, downloading missing modules. It
// runs the go command in the repository root (see Root).
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

// resolve finds one source, downloading its module when the cache lacks it.
func resolve(ctx context.Context, root string, src Source) (Resolved, error) {
	r := Resolved{Source: src}
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
	if _, err := os.Stat(r.CRDPath()); err != nil {
		return r, fmt.Errorf("cannot find the CRDs of %s@%s: %w", src.Module, version, err)
	}
	return r, nil
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
