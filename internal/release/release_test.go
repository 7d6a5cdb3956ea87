package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/childcrds"
	"dbaas.io/operator/internal/devcluster"
)

// cluster is the control plane the manifests are applied to (with our CRDs and the
// child CRDs installed, no webhooks: the release's webhook configuration is applied
// by dry run only).
var cluster *devcluster.Cluster

// testImage is the pinned image the tests release.
const testImage = "registry.example.com/team/dbaas-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts the control plane, runs the tests and stops it.
func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if cluster, err = devcluster.Start(ctx, devcluster.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

// render renders config/default with testImage and writes it into a new folder.
func render(t *testing.T) (Manifests, string) {
	t.Helper()
	kubectl, err := devcluster.KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Render(t.Context(), Options{Kubectl: kubectl, ConfigDir: filepath.Join(root, "config", "default"), Image: testImage, Version: "v0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Write(dir); err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// kinds lists the kind of each document of a written manifest, in order.
func kinds(t *testing.T, stream []byte) []string {
	t.Helper()
	var out []string
	for doc := range bytes.SplitSeq(stream, []byte("\n---\n")) {
		var obj struct{ Kind string }
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("a document does not parse: %v\n%s", err, doc)
		}
		if obj.Kind != "" {
			out = append(out, obj.Kind)
		}
	}
	return out
}

// TestSplit checks that crds.yaml holds our three CRDs and nothing else, and that
// install.yaml holds the namespace first, the rest of the operator and no CRD.
func TestSplit(t *testing.T) {
	m, _ := render(t)
	if got := strings.Join(kinds(t, m.CRDs), ","); got != "CustomResourceDefinition,CustomResourceDefinition,CustomResourceDefinition" {
		t.Errorf("crds.yaml kinds = %s, want the three CRDs", got)
	}
	for _, name := range []string{"databaseclusters.dbaas.io", "opsrequests.dbaas.io", "backupstorages.dbaas.io"} {
		if !strings.Contains(string(m.CRDs), "name: "+name+"\n") {
			t.Errorf("crds.yaml lacks the CRD %s", name)
		}
	}
	got := kinds(t, m.Install)
	if len(got) == 0 || got[0] != "Namespace" {
		t.Fatalf("install.yaml kinds = %v, want the Namespace first", got)
	}
	for _, want := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		if !strings.Contains(","+strings.Join(got, ",")+",", ","+want+",") {
			t.Errorf("install.yaml has no %s: %v", want, got)
		}
	}
	if strings.Contains(strings.Join(got, ","), "CustomResourceDefinition") {
		t.Errorf("install.yaml holds a CRD: %v", got)
	}
	if !bytes.Contains(m.Install, []byte("image: "+testImage+"\n")) || bytes.Contains(m.Install, []byte("dbaas-operator:latest")) {
		t.Errorf("install.yaml does not pin the Deployment to %s", testImage)
	}
}

// TestRefusesUnpinned checks that Render refuses an image that is not by digest.
func TestRefusesUnpinned(t *testing.T) {
	_, err := Render(t.Context(), Options{Kubectl: "kubectl", ConfigDir: "config/default", Image: "registry.example.com/dbaas-operator:v1"})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("Render of a tagged image: %v, want an error asking for a digest", err)
	}
}

// kubectl runs kubectl against the test cluster.
func kubectl(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	path, err := devcluster.KubectlPath()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--kubeconfig", cluster.KubeconfigPath}, args...)
	return exec.CommandContext(t.Context(), path, args...).CombinedOutput()
}

// createNamespace creates the operator's namespace for real, once.
func createNamespace(t *testing.T) {
	t.Helper()
	namespaceOnce.Do(func() {
		namespaceOut, namespaceErr = kubectl(t, "create", "namespace", "dbaas-system")
	})
	if namespaceErr != nil {
		t.Fatalf("kubectl create namespace dbaas-system: %v\n%s", namespaceErr, namespaceOut)
	}
}

// namespaceOnce guards the creation of the namespace; namespaceOut and namespaceErr
// are what it returned.
var (
	namespaceOnce sync.Once
	namespaceOut  []byte
	namespaceErr  error
)

// dryRunApply applies a file as the README says, with a server-side dry run: the API
// server validates each object (schema, CEL, references) and stores nothing.
func dryRunApply(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	return kubectl(t, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", path)
}

// TestApply applies crds.yaml then install.yaml to the API server with a server-side
// dry run. The namespace is created for real first: a dry-run Namespace does not
// exist for the namespaced objects that follow it.
func TestApply(t *testing.T) {
	_, dir := render(t)
	createNamespace(t)
	for _, name := range []string{"crds.yaml", "install.yaml"} {
		out, err := dryRunApply(t, filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("kubectl apply --server-side --dry-run=server -f %s: %v\n%s", name, err, out)
		}
		if !bytes.Contains(out, []byte("(server dry run)")) {
			t.Errorf("kubectl apply -f %s did not run on the server:\n%s", name, out)
		}
	}
}

// TestApplyRefusesInvalid checks that the dry run does catch an invalid manifest: a
// Deployment whose replicas is not a number.
func TestApplyRefusesInvalid(t *testing.T) {
	m, _ := render(t)
	bad := bytes.Replace(m.Install, []byte("\n  replicas: 1\n"), []byte("\n  replicas: one\n"), 1)
	if bytes.Equal(bad, m.Install) {
		t.Fatal("install.yaml has no Deployment with replicas: 1 to break")
	}
	createNamespace(t)
	path := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := dryRunApply(t, path)
	if err == nil || !bytes.Contains(out, []byte("replicas")) {
		t.Errorf("the dry run of a Deployment with replicas: one: %v, want an error naming replicas\n%s", err, out)
	}
}
