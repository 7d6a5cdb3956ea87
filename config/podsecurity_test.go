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

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/podsecurity"
)

// workload is a Pod template found in a file of config/.
type workload = podsecurity.Workload

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
		for _, v := range evaluator.Violations(w.Meta, w.Spec) {
			t.Errorf("%s: %s", w.Where, v)
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
		if strings.Contains(w.Where, "Deployment dbaas-operator") {
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
			spec := *manager.Spec.DeepCopy()
			tc.breaks(&spec)
			found := evaluator.Violations(manager.Meta, spec)
			if !strings.Contains(strings.Join(found, "\n"), tc.want) {
				t.Fatalf("violations %q do not name %q", found, tc.want)
			}
		})
	}
}

// restrictedEvaluator is the Pod Security admission plugin's evaluator.
func restrictedEvaluator(t *testing.T) podsecurity.Evaluator {
	t.Helper()
	e, err := podsecurity.NewEvaluator()
	if err != nil {
		t.Fatal(err)
	}
	return e
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
			w, err := podsecurity.PodTemplate(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if w != nil {
				w.Where = path + ": " + w.Where
				out = append(out, *w)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
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
