package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/childcheck"
	"dbaas.io/operator/internal/childcrds"
	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/render"
)

// cluster is a control plane with our CRDs and webhook configurations and no child
// CRDs: a cluster where no child operator is installed yet.
var cluster *devcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	cluster, err = devcluster.Start(ctx, devcluster.Options{Webhooks: true, WithoutChildCRDs: true})
	if err != nil {
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

// shipped returns the embedded engines.
func shipped(t *testing.T) []*render.Engine {
	t.Helper()
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	return registry.Engines()
}

// TestDoctorWithoutChildOperators runs `dbaasctl doctor` as a user would, on a
// cluster without child CRDs: it exits non-zero, with a MISSING line for every kind
// of every engine and each engine's install command.
func TestDoctorWithoutChildOperators(t *testing.T) {
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "dbaasctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/dbaasctl")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cannot build dbaasctl: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "doctor", "--kubeconfig", cluster.KubeconfigPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("dbaasctl doctor: %v, want exit status 1\n%s%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	t.Logf("dbaasctl doctor:\n%s", out)
	for _, want := range []string{
		`CRD databaseclusters\.dbaas\.io`, `CRD opsrequests\.dbaas\.io`,
		`webhook vdatabasecluster\.dbaas\.io`, `webhook vopsrequest\.dbaas\.io`, `webhook mdatabasecluster\.dbaas\.io`,
	} {
		if !regexp.MustCompile(`(?m)^-\s+` + want + `\s+OK\s`).MatchString(out) {
			t.Errorf("no OK line for %s in:\n%s", want, out)
		}
	}
	for _, e := range shipped(t) {
		for _, gvk := range e.Kinds {
			if gvk.Group == "" {
				continue // ConfigMap, Secret: served by every cluster
			}
			// An add-on kind (PodMonitor) is reported as such, and not required.
			prefix := "kind"
			if e.IsAddOn(gvk) {
				prefix = "add-on kind"
			}
			want := fmt.Sprintf(`(?m)^%s\s+%s %s\s+MISSING\s`, e.Name, prefix, regexp.QuoteMeta(gvk.GroupVersion().String()+" "+gvk.Kind))
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("engine %s: no line %s in:\n%s", e.Name, want, out)
			}
		}
		if !strings.Contains(out, "\n  "+e.Operator.Install+"\n") {
			t.Errorf("engine %s: no install hint %q in:\n%s", e.Name, e.Operator.Install, out)
		}
		for _, addOn := range e.AddOns {
			if !slices.Contains(optionalHints(out), addOn.Install) {
				t.Errorf("engine %s: no optional install hint %q in:\n%s", e.Name, addOn.Install, out)
			}
		}
	}
	if !strings.Contains(stderr.String(), "the cluster lacks what a DatabaseCluster needs") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestEngineMessagesMatchTheWebhook checks that the report carries, for each engine,
// the message the admission webhook refuses its clusters with.
func TestEngineMessagesMatchTheWebhook(t *testing.T) {
	c, err := Connect(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range shipped(t) {
		r, err := Run(t.Context(), c, shipped(t), Options{Engine: e.Name})
		if err != nil {
			t.Fatal(err)
		}
		if r.OK {
			t.Errorf("engine %s: report OK without its child CRDs", e.Name)
		}
		want, err := childcheck.New(c.Discovery, 0).Engine(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Engines[e.Name]; got == "" || got != want.Message() {
			t.Errorf("engine %s: message %q, want %q", e.Name, got, want.Message())
		}
		if len(r.Engines) != 1 {
			t.Errorf("--engine %s reports engines %v", e.Name, r.Engines)
		}
	}
	if _, err := Run(t.Context(), c, shipped(t), Options{Engine: "nosuch"}); err == nil || !strings.Contains(err.Error(), "loaded engines: ") {
		t.Errorf("unknown engine: %v", err)
	}
}

// TestInstalledEngine installs the CRD of a made-up engine's kind and runs its
// operator's Deployment: the engine's checks pass, then a Deployment of another
// release and a kind at another version are WRONG VERSION.
func TestInstalledEngine(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gadgets.example.dbaas.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.dbaas.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "gadgets", Singular: "gadget", Kind: "Gadget", ListKind: "GadgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: new(true)}}}},
		},
	}
	if err := envtest.CreateCRDs(cluster.Config, []*apiextensionsv1.CustomResourceDefinition{crd}); err != nil {
		t.Fatal(err)
	}
	if err := envtest.WaitForCRDs(cluster.Config, []*apiextensionsv1.CustomResourceDefinition{crd}, envtest.CRDInstallOptions{MaxTime: time.Minute, PollInterval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	gadget := &render.Engine{
		Name:     "gadget",
		Kinds:    []schema.GroupVersionKind{{Group: "example.dbaas.io", Version: "v1", Kind: "Gadget"}, {Version: "v1", Kind: "ConfigMap"}},
		Operator: &render.Operator{Name: "Gadget operator", Version: "1.2.0", Install: "kubectl apply -f gadget.yaml", Image: "example.com/gadget-operator"},
	}
	c, err := Connect(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}

	operator := deployment("gadget-operator", "example.com/gadget-operator:1.2.3")
	writer, err := client.New(cluster.Config, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Create(t.Context(), operator); err != nil {
		t.Fatal(err)
	}
	r, err := Run(t.Context(), c, []*render.Engine{gadget}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		var buf bytes.Buffer
		_ = PrintTable(&buf, r)
		t.Fatalf("report not OK with the kind served and the operator running:\n%s", buf.String())
	}
	if got := find(t, r, "operator Gadget operator 1.2.0"); got.Status != OK || !strings.Contains(got.Detail, "default/gadget-operator runs example.com/gadget-operator:1.2.3") {
		t.Errorf("operator check: %+v", got)
	}

	// another release of the operator, and an engine that renders v2
	operator.Spec.Template.Spec.Containers[0].Image = "example.com/gadget-operator:2.0.0"
	if err := writer.Update(t.Context(), operator); err != nil {
		t.Fatal(err)
	}
	gadget.Kinds[0].Version = "v2"
	r, err = Run(t.Context(), c, []*render.Engine{gadget}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK {
		t.Fatal("report OK with the wrong versions")
	}
	if got := find(t, r, "kind example.dbaas.io/v2 Gadget"); got.Status != WrongVersion || got.Detail != "served only as v1" || got.Fix != "kubectl apply -f gadget.yaml" {
		t.Errorf("kind check: %+v", got)
	}
	if got := find(t, r, "operator Gadget operator 1.2.0"); got.Status != WrongVersion || !got.Failed() {
		t.Errorf("operator check: %+v", got)
	}
	want := "engine gadget needs Gadget operator 1.2.0, which is not installed (example.dbaas.io/v2 Gadget is served only as v1); install it with: kubectl apply -f gadget.yaml"
	if got := r.Engines["gadget"]; got != want {
		t.Errorf("message:\n%s\nwant\n%s", got, want)
	}
}

// TestREADMEHasEveryInstallCommand keeps README's install section and the engines'
// install commands, which doctor and the webhook print, the same.
func TestREADMEHasEveryInstallCommand(t *testing.T) {
	root, err := childcrds.Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range shipped(t) {
		if e.Operator == nil {
			t.Errorf("engine %s names no child operator", e.Name)
			continue
		}
		if !bytes.Contains(readme, []byte(e.Operator.Install)) {
			t.Errorf("README.md lacks the install command of engine %s: %s", e.Name, e.Operator.Install)
		}
	}
}

func find(t *testing.T, r *Report, subject string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Subject == subject {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", subject, r.Checks)
	return Check{}
}

func deployment(name, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "manager", Image: image}}},
			},
		},
	}
}

// optionalHints are the lines of the section "To install what the optional
// features need:" of doctor's output, one install command each.
func optionalHints(out string) []string {
	_, section, found := strings.Cut(out, "To install what the optional features need:\n")
	if !found {
		return nil
	}
	section, _, _ = strings.Cut(section, "\n\n")
	var hints []string
	for line := range strings.Lines(section) {
		hints = append(hints, strings.TrimSpace(line))
	}
	return hints
}
