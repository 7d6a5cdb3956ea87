package charts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/childcrds"
	"dbaas.io/operator/internal/devcluster"
)

// namespace is the release's namespace in every render.
const namespace = "dbaas-system"

// chartDir is the chart, relative to this package.
const chartDir = "dbaas-operator"

// allValues turns on every option of the chart.
const allValues = "dbaas-operator/ci/all-values.yaml"

// cluster is the control plane the rendered objects are applied to, started once.
var cluster *devcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if cluster, err = devcluster.Start(ctx, devcluster.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the control plane:", err)
		return 1
	}
	defer cluster.Stop()
	if err := installOptionalCRDs(ctx, cluster.Config); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// helm returns bin/helm of the repository, which `make helm` builds (and `make test`
// before the tests); a test fails without it rather than skip the chart.
func helm(t *testing.T) string {
	t.Helper()
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `make helm` (make test builds it): %v", bin, err)
	}
	return bin
}

// render runs `helm template` of the chart with args (such as -f FILE or --set K=V)
// and returns its objects.
func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := renderErr(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renderErr is render for a render that may fail: the error holds helm's message.
func renderErr(t *testing.T, args ...string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	stdout, err := runHelm(t, append([]string{"template", "dbaas", chartDir, "--namespace", namespace}, args...)...)
	if err != nil {
		return nil, err
	}
	objs, err := decode(stdout)
	if err != nil {
		return nil, fmt.Errorf("helm template %s printed what is not YAML: %w", strings.Join(args, " "), err)
	}
	return objs, nil
}

// runHelm runs bin/helm with its configuration, cache and data in a temporary folder
// of the test, and returns its standard output; the error holds its standard error.
func runHelm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(helm(t), args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// decode reads the objects of a multi-document YAML stream, skipping empty documents.
func decode(b []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// find returns the rendered object of that kind and name, failing the test without one.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("the chart renders no %s %s", kind, name)
	return nil
}
