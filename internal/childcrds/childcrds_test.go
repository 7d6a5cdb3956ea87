package childcrds

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// TestResolve checks that every source resolves, in the module cache, to CRD files
// at the version go.mod requires, and a generated source to its generated CRDs.
func TestResolve(t *testing.T) {
	resolved, err := Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(resolved) != len(Sources) {
		t.Fatalf("got %d resolved sources, want %d", len(resolved), len(Sources))
	}
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resolved {
		if r.Version == "" {
			t.Errorf("%s: no version", r.Module)
		}
		if !strings.Contains(filepath.ToSlash(r.Dir), "/"+escapePath(r.Module)+"@"+r.Version) {
			t.Errorf("%s: dir %s is not the module cache directory of version %s", r.Module, r.Dir, r.Version)
		}
		if r.Generated != "" {
			if want := filepath.Join(root, filepath.FromSlash(r.Generated)); r.CRDPath() != want {
				t.Errorf("%s: CRD path %s, want %s", r.Module, r.CRDPath(), want)
			}
			if info, err := os.Stat(filepath.Join(r.Dir, filepath.FromSlash(r.Path))); err != nil || !info.IsDir() {
				t.Errorf("%s: no Go package directory %s in the module: %v", r.Module, r.Path, err)
			}
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

// TestChildKinds checks that the sources hold the CRDs of the kinds the engines
// render, served at the version they render, with the status subresource (the
// simulation patches it) and a schema of the spec (not just any object).
func TestChildKinds(t *testing.T) {
	resolved, err := Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Read them as devcluster does when it installs them.
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, r := range resolved {
		read, err := r.CRDs()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range read {
			if r.Template && len(c.Labels) > 0 {
				t.Errorf("%s: the labels of a template are kept: %v", c.Name, c.Labels)
			}
			crds[c.Name] = c
		}
	}
	tests := []struct {
		name, kind, version string
	}{
		{"clusters.postgresql.cnpg.io", "Cluster", "v1"},
		{"poolers.postgresql.cnpg.io", "Pooler", "v1"},
		{"perconaservermongodbs.psmdb.percona.com", "PerconaServerMongoDB", "v1"},
		{"perconaservermongodbbackups.psmdb.percona.com", "PerconaServerMongoDBBackup", "v1"},
		{"perconaxtradbclusters.pxc.percona.com", "PerconaXtraDBCluster", "v1"},
		{"perconaxtradbclusterbackups.pxc.percona.com", "PerconaXtraDBClusterBackup", "v1"},
		{"kafkas.kafka.strimzi.io", "Kafka", "v1beta2"},
		{"kafkanodepools.kafka.strimzi.io", "KafkaNodePool", "v1beta2"},
		{"kafkausers.kafka.strimzi.io", "KafkaUser", "v1beta2"},
		{"certificates.cert-manager.io", "Certificate", "v1"},
		{"issuers.cert-manager.io", "Issuer", "v1"},
		{"clusterissuers.cert-manager.io", "ClusterIssuer", "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			c, ok := crds[tc.name]
			if !ok {
				t.Fatalf("no CRD %s in any source", tc.name)
			}
			if c.Spec.Names.Kind != tc.kind {
				t.Errorf("kind %s, want %s", c.Spec.Names.Kind, tc.kind)
			}
			i := slices.IndexFunc(c.Spec.Versions, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Name == tc.version })
			if i < 0 {
				t.Fatalf("no version %s", tc.version)
			}
			v := c.Spec.Versions[i]
			if !v.Served || !v.Storage {
				t.Errorf("version %s: served %t, storage %t, want both", tc.version, v.Served, v.Storage)
			}
			if v.Subresources == nil || v.Subresources.Status == nil {
				t.Errorf("version %s has no status subresource", tc.version)
			}
			var spec apiextensionsv1.JSONSchemaProps
			if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
				spec = v.Schema.OpenAPIV3Schema.Properties["spec"]
			}
			if spec.Type != "object" || len(spec.Properties) == 0 {
				t.Errorf("version %s: spec schema is not an object with properties", tc.version)
			}
		})
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
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
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

// TestGenerate generates the CRDs of the generated sources into a copy of the
// repository's go.mod and go.sum, checks that Resolve then finds them, that a second
// run leaves them alone, and that Resolve refuses missing or stale ones.
func TestGenerate(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	controllerGen := filepath.Join(root, "bin", "controller-gen")
	if _, err := os.Stat(controllerGen); err != nil {
		t.Skipf("no controller-gen (run `make controller-gen`): %v", err)
	}
	ctx := context.Background()
	tmp := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	_, err = ResolveIn(ctx, tmp)
	if err == nil || !strings.Contains(err.Error(), "make child-crds") {
		t.Fatalf("Resolve before Generate: got error %v, want one that says to run make child-crds", err)
	}

	var log bytes.Buffer
	generated, err := Generate(ctx, tmp, controllerGen, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) == 0 {
		t.Fatal("Generate generated no source")
	}
	if !strings.Contains(log.String(), "generated from") {
		t.Errorf("log of the first run does not say what it generated:\n%s", log.String())
	}
	resolved, err := ResolveIn(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resolved {
		if r.Generated != "" && !strings.HasPrefix(r.CRDPath(), tmp) {
			t.Errorf("%s: CRD path %s is not under %s", r.Module, r.CRDPath(), tmp)
		}
	}

	stamp := filepath.Join(generated[0].CRDPath(), StampFile)
	before, err := os.Stat(stamp)
	if err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := Generate(ctx, tmp, controllerGen, &log); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(stamp)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) || !strings.Contains(log.String(), "up to date") {
		t.Errorf("a second Generate regenerated up-to-date CRDs:\n%s", log.String())
	}

	if err := os.WriteFile(stamp, []byte(generated[0].Module+" v0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ResolveIn(ctx, tmp)
	if err == nil || !strings.Contains(err.Error(), "v0.0.1") || !strings.Contains(err.Error(), "make child-crds") {
		t.Errorf("Resolve of stale CRDs: got error %v, want one that names the stale version and says to run make child-crds", err)
	}
}

// TestGenerateNoControllerGen checks that Generate says how to get controller-gen.
func TestGenerateNoControllerGen(t *testing.T) {
	_, err := Generate(context.Background(), t.TempDir(), filepath.Join(t.TempDir(), "controller-gen"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "make controller-gen") {
		t.Fatalf("got error %v, want one that says to run make controller-gen", err)
	}
}

// escapePath is a module path as the module cache spells it: each upper-case letter
// becomes "!" and its lower-case form.
func escapePath(module string) string {
	var b strings.Builder
	for _, r := range module {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
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
