package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// workloadKinds are the kinds that carry a Pod template.
var workloadKinds = map[string]bool{
	"Pod": true, "PodTemplate": true, "ReplicationController": true, "Deployment": true,
	"StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true,
}

// workload is a Pod template found in a manifest.
type workload struct {
	// where names the file, the kind and the name, for messages.
	where string
	meta  metav1.ObjectMeta
	spec  corev1.PodSpec
}

// TestPodSecurityRestricted: every Pod the manifests in config/ run meets the Pod
// Security "restricted" profile at its latest version, as the API server's own
// admission plugin judges it (k8s.io/pod-security-admission), and has a read-only
// root filesystem, which the profile does not require but the operator promises.
// A failure names the file, the workload and the rule.
func TestPodSecurityRestricted(t *testing.T) {
	noPatches(t)
	evaluator := restrictedEvaluator(t)
	workloads := workloads(t)
	if len(workloads) == 0 {
		t.Fatal("found no Pod template in config/: the operator's Deployment is missing")
	}
	for _, w := range workloads {
		for _, v := range violations(evaluator, w.meta, w.spec) {
			t.Errorf("%s: %s", w.where, v)
		}
	}
}

// TestPodSecurityRulesCatchViolations takes the operator's Deployment and breaks
// one rule at a time: each must be reported by name, so the test above cannot pass
// by checking nothing.
func TestPodSecurityRulesCatchViolations(t *testing.T) {
	evaluator := restrictedEvaluator(t)
	var manager *workload
	for _, w := range workloads(t) {
		if strings.Contains(w.where, "Deployment dbaas-operator") {
			manager = &w
		}
	}
	if manager == nil {
		t.Fatal("the operator's Deployment is not in config/")
	}
	tests := map[string]struct {
		// breaks changes the Pod spec so that it violates a rule.
		breaks func(*corev1.PodSpec)
		// want is a part of the reported violation.
		want string
	}{
		"may run as root": {
			breaks: func(s *corev1.PodSpec) {
				s.SecurityContext.RunAsNonRoot = nil
				s.Containers[0].SecurityContext.RunAsNonRoot = nil
			},
			want: "runAsNonRoot != true",
		},
		"runs as uid 0": {
			breaks: func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.RunAsUser = new(int64(0)) },
			want:   "runAsUser=0",
		},
		"may escalate privileges": {
			breaks: func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil },
			want:   "allowPrivilegeEscalation != false",
		},
		"keeps capabilities": {
			breaks: func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Capabilities = nil },
			want:   "unrestricted capabilities",
		},
		"adds a capability": {
			breaks: func(s *corev1.PodSpec) {
				s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
			},
			want: "NET_ADMIN",
		},
		"no seccomp profile": {
			breaks: func(s *corev1.PodSpec) { s.SecurityContext.SeccompProfile = nil },
			want:   "seccompProfile",
		},
		"unconfined seccomp": {
			breaks: func(s *corev1.PodSpec) {
				s.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
			},
			want: "seccompProfile",
		},
		"writable root filesystem": {
			breaks: func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.ReadOnlyRootFilesystem = nil },
			want:   "readOnlyRootFilesystem != true",
		},
		"a hostPath volume": {
			breaks: func(s *corev1.PodSpec) {
				s.Volumes = append(s.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
			},
			want: "hostPath",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			spec := *manager.spec.DeepCopy()
			tc.breaks(&spec)
			found := violations(evaluator, manager.meta, spec)
			if !strings.Contains(strings.Join(found, "\n"), tc.want) {
				t.Fatalf("violations %q do not name %q", found, tc.want)
			}
		})
	}
}

// restrictedEvaluator is the Pod Security admission plugin's evaluator with its
// default checks, at the newest version of the profile it knows.
func restrictedEvaluator(t *testing.T) policy.Evaluator {
	t.Helper()
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// violations lists what keeps a Pod from the restricted profile.
func violations(e policy.Evaluator, meta metav1.ObjectMeta, spec corev1.PodSpec) []string {
	var out []string
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, r := range e.EvaluatePod(level, &meta, &spec) {
		if !r.Allowed {
			out = append(out, fmt.Sprintf("violates Pod Security restricted: %s (%s)", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	var writable []string
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			writable = append(writable, c.Name)
		}
	}
	if len(writable) > 0 {
		out = append(out, fmt.Sprintf("readOnlyRootFilesystem != true (containers %s)", strings.Join(writable, ", ")))
	}
	return out
}

// workloads reads every YAML file under config/ and returns its Pod templates.
func workloads(t *testing.T) []workload {
	t.Helper()
	var out []workload
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			w, err := podTemplate(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if w != nil {
				w.where = path + ": " + w.where
				out = append(out, *w)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// podTemplate returns the Pod template of a workload document, nil for any other.
func podTemplate(doc []byte) (*workload, error) {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil || !workloadKinds[meta.Kind] {
		// Not a Kubernetes object (a kustomization, a Lua script's folder), or not a workload.
		return nil, nil
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot decode %s: %w", meta.Kind, err)
	}
	where := func(o metav1.Object) string { return meta.Kind + " " + o.GetName() }
	template := func(o metav1.Object, tmpl corev1.PodTemplateSpec) *workload {
		return &workload{where: where(o), meta: tmpl.ObjectMeta, spec: tmpl.Spec}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return &workload{where: where(o), meta: o.ObjectMeta, spec: o.Spec}, nil
	case *corev1.PodTemplate:
		return template(o, o.Template), nil
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil, nil
		}
		return template(o, *o.Spec.Template), nil
	case *appsv1.Deployment:
		return template(o, o.Spec.Template), nil
	case *appsv1.StatefulSet:
		return template(o, o.Spec.Template), nil
	case *appsv1.DaemonSet:
		return template(o, o.Spec.Template), nil
	case *appsv1.ReplicaSet:
		return template(o, o.Spec.Template), nil
	case *batchv1.Job:
		return template(o, o.Spec.Template), nil
	case *batchv1.CronJob:
		return template(o, o.Spec.JobTemplate.Spec.Template), nil
	default:
		return nil, fmt.Errorf("%s of %s is not a workload this test reads", meta.Kind, obj.GetObjectKind().GroupVersionKind().GroupVersion())
	}
}

// noPatches keeps this test honest: it reads the manifests as written, which is
// what `kubectl apply -k` installs only while no kustomization patches them.
func noPatches(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "kustomization.yaml" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var k map[string]any
		if err := yaml.Unmarshal(b, &k); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, field := range []string{"patches", "patchesStrategicMerge", "patchesJson6902", "replacements", "components"} {
			if _, ok := k[field]; ok {
				return fmt.Errorf("%s has %s: this test reads the manifests as written, so render them with kustomize here before patching them", path, field)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
