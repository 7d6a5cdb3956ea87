// Package podsecurity judges Pod templates against the Pod Security "restricted"
// profile with the API server's own admission plugin (k8s.io/pod-security-admission),
// for the tests of what users install: the manifests of config/ and the Helm chart.
package podsecurity

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// Workload is a Pod template found in a manifest.
type Workload struct {
	// Where names the kind and the name, for messages.
	Where string
	Meta  metav1.ObjectMeta
	Spec  corev1.PodSpec
}

// Evaluator is the admission plugin's evaluator with its default checks.
type Evaluator struct {
	e policy.Evaluator
}

// NewEvaluator returns the evaluator of the newest version of the profile it knows.
func NewEvaluator() (Evaluator, error) {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	return Evaluator{e: e}, err
}

// Violations lists what keeps a Pod from the restricted profile, and containers whose
// root filesystem is writable, which the profile allows but the operator promises not
// to need.
func (e Evaluator) Violations(meta metav1.ObjectMeta, spec corev1.PodSpec) []string {
	var out []string
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, r := range e.e.EvaluatePod(level, &meta, &spec) {
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

// workloadKinds are the kinds that carry a Pod template.
var workloadKinds = map[string]bool{
	"Pod": true, "PodTemplate": true, "ReplicationController": true, "Deployment": true,
	"StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true,
}

// PodTemplate returns the Pod template of a workload document, nil for any other
// document.
func PodTemplate(doc []byte) (*Workload, error) {
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
	template := func(o metav1.Object, tmpl corev1.PodTemplateSpec) *Workload {
		return &Workload{Where: where(o), Meta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		return &Workload{Where: where(o), Meta: o.ObjectMeta, Spec: o.Spec}, nil
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
		return nil, fmt.Errorf("%s of %s is not a workload this package reads", meta.Kind, obj.GetObjectKind().GroupVersionKind().GroupVersion())
	}
}
