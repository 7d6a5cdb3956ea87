package childcrds

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolve checks that every source resolves, in the module cache, to CRD files
// at the version go.mod requires.
func TestResolve(t *testing.T) {
	resolved, err := Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(resolved) != len(Sources) {
		t.Fatalf("got %d resolved sources, want %d", len(resolved), len(Sources))
	}
	for _, r := range resolved {
		if r.Version == "" {
			t.Errorf("%s: no version", r.Module)
		}
		if !strings.Contains(filepath.ToSlash(r.Dir), "/"+r.Module+"@"+r.Version) {
			t.Errorf("%s: dir %s is not the module cache directory of version %s", r.Module, r.Dir, r.Version)
		}
		files := crdFiles(t, r.CRDPath())
		if len(files) == 0 {
			t.Errorf("%s: no CRD files in %s", r.Module, r.CRDPath())
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "kind: CustomResourceDefinition") {
				t.Errorf("%s holds no CustomResourceDefinition", f)
			}
		}
	}
}

// TestPaths checks that Paths lists one existing path per source.
func TestPaths(t *testing.T) {
	paths, err := Paths()
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(Sources) {
		t.Fatalf("got %d paths, want %d", len(paths), len(Sources))
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			t.Errorf("path %s is not absolute", p)
		}
	}
}

// TestRoot checks that Root finds this repository's go.mod from a package folder.
func TestRoot(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "childcrds", "childcrds.go")); err != nil {
		t.Errorf("root %s does not hold this package: %v", root, err)
	}
}

// crdFiles lists the YAML files at path, a file or a directory.
func crdFiles(t *testing.T, path string) []string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() {
		return []string{path}
	}
	files, err := filepath.Glob(filepath.Join(path, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
