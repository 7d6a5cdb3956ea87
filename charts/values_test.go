package charts

import (
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// deployment returns the operator's rendered Deployment, typed.
func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(find(t, objs, "Deployment", "dbaas-operator").Object, d); err != nil {
		t.Fatal(err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want the manager alone", len(d.Spec.Template.Spec.Containers))
	}
	return d
}

// mountAt returns the volume mounted at path in the manager container, or "".
func mountAt(d *appsv1.Deployment, path string) string {
	for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.MountPath == path {
			return m.Name
		}
	}
	return ""
}

// volume returns the Pod's volume of that name.
func volume(t *testing.T, d *appsv1.Deployment, name string) corev1.Volume {
	t.Helper()
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("the Deployment has no volume %q", name)
	return corev1.Volume{}
}

// TestChartDefaults: the default values run one replica with leader election, the
// image of the chart's appVersion, certificates the operator issues itself, no
// overrides, and none of the optional kinds.
func TestChartDefaults(t *testing.T) {
	objs := render(t)
	d := deployment(t, objs)
	c := d.Spec.Template.Spec.Containers[0]
	if want := "dbaas-operator:0.1.0"; c.Image != want {
		t.Errorf("image %q, want %q (repository:appVersion)", c.Image, want)
	}
	if *d.Spec.Replicas != 1 || !slices.Contains(c.Args, "--leader-elect") {
		t.Errorf("replicas %d, args %q: want one replica with --leader-elect", *d.Spec.Replicas, c.Args)
	}
	for _, arg := range c.Args {
		for _, flag := range []string{"--manage-webhook-certs", "--engines-dir", "--policies-dir"} {
			if strings.HasPrefix(arg, flag) {
				t.Errorf("the default args hold %s", arg)
			}
		}
	}
	for _, kind := range []string{"Certificate", "Issuer", "ServiceMonitor", "PrometheusRule", "PodDisruptionBudget", "ConfigMap"} {
		for _, o := range objs {
			if o.GetKind() == kind {
				t.Errorf("the default values render %s %s", kind, o.GetName())
			}
		}
	}
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		name := "dbaas-" + strings.ToLower(strings.TrimSuffix(kind, "WebhookConfiguration")) + "-webhook-configuration"
		if a := find(t, objs, kind, name).GetAnnotations(); len(a) > 0 {
			t.Errorf("%s has annotations %v: the operator injects its own CA", kind, a)
		}
	}
}

// TestChartEveryOption checks what each option of ci/all-values.yaml changes.
func TestChartEveryOption(t *testing.T) {
	objs := render(t, "-f", allValues)
	d := deployment(t, objs)
	c := d.Spec.Template.Spec.Containers[0]

	t.Run("image digest and replicas", func(t *testing.T) {
		if !strings.HasPrefix(c.Image, "registry.example/dbaas-operator@sha256:") {
			t.Errorf("image %q is not pinned to the digest", c.Image)
		}
		if *d.Spec.Replicas != 2 || !slices.Contains(c.Args, "--leader-elect") || !slices.Contains(c.Args, "--concurrency=8") {
			t.Errorf("replicas %d, args %q: want 2 with --leader-elect and the extra args", *d.Spec.Replicas, c.Args)
		}
		find(t, objs, "PodDisruptionBudget", "dbaas-operator")
	})

	t.Run("cert-manager", func(t *testing.T) {
		cert := find(t, objs, "Certificate", "dbaas-operator-serving-cert")
		secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
		dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
		if !slices.Contains(dnsNames, "dbaas-webhook-service."+namespace+".svc") {
			t.Errorf("the certificate's names %q miss the webhook Service", dnsNames)
		}
		issuer, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name")
		find(t, objs, "Issuer", issuer)
		if v := volume(t, d, mountAt(d, "/etc/dbaas/certs")); v.Secret == nil || v.Secret.SecretName != secret {
			t.Errorf("/etc/dbaas/certs is not the Certificate's Secret %q: %+v", secret, v)
		}
		for _, arg := range []string{"--manage-webhook-certs=false", "--webhook-cert-dir=/etc/dbaas/certs", "--metrics-cert-dir=/etc/dbaas/certs"} {
			if !slices.Contains(c.Args, arg) {
				t.Errorf("args %q lack %s", c.Args, arg)
			}
		}
		for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
			name := strings.ToLower(strings.TrimSuffix(kind, "WebhookConfiguration"))
			got := find(t, objs, kind, "dbaas-"+name+"-webhook-configuration").GetAnnotations()["cert-manager.io/inject-ca-from"]
			if got != namespace+"/"+cert.GetName() {
				t.Errorf("%s injects the CA of %q, not of the Certificate", kind, got)
			}
		}
	})

	t.Run("engine override", func(t *testing.T) {
		if !slices.Contains(c.Args, "--engines-dir=/etc/dbaas/engines") {
			t.Errorf("args %q lack --engines-dir", c.Args)
		}
		// Each engine is a real folder of --engines-dir: a ConfigMap mounted there, whose
		// keys are the package's files.
		v := volume(t, d, mountAt(d, "/etc/dbaas/engines/postgresql"))
		if v.ConfigMap == nil {
			t.Fatalf("/etc/dbaas/engines/postgresql is not a ConfigMap: %+v", v)
		}
		cm := find(t, objs, "ConfigMap", v.ConfigMap.Name)
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		if !strings.HasPrefix(data["catalog.cue"], "package postgresql") || len(data) != 2 {
			t.Errorf("ConfigMap %s holds %v, not the engine's files", cm.GetName(), data)
		}
		if volume(t, d, mountAt(d, "/etc/dbaas/engines")).EmptyDir == nil {
			t.Error("--engines-dir is not a folder of its own to mount the engines in")
		}
	})

	t.Run("policy override", func(t *testing.T) {
		if !slices.Contains(c.Args, "--policies-dir=/etc/dbaas/policies") {
			t.Errorf("args %q lack --policies-dir", c.Args)
		}
		v := volume(t, d, mountAt(d, "/etc/dbaas/policies"))
		if v.ConfigMap == nil {
			t.Fatalf("/etc/dbaas/policies is not a ConfigMap: %+v", v)
		}
		cm := find(t, objs, "ConfigMap", v.ConfigMap.Name)
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		paths := map[string]string{}
		for _, item := range v.ConfigMap.Items {
			paths[item.Path] = data[item.Key]
		}
		if !strings.HasPrefix(paths["cluster/cluster.rego"], "package dbaas.cluster") || !strings.HasPrefix(paths["engines/postgresql.yaml"], "parameters:") {
			t.Errorf("the policies volume lays out %v, not the files at their paths", paths)
		}
	})

	t.Run("monitoring", func(t *testing.T) {
		sm := find(t, objs, "ServiceMonitor", "dbaas-operator")
		selector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		var selected []string
		for _, o := range objs {
			if o.GetKind() != "Service" {
				continue
			}
			match := true
			for k, v := range selector {
				match = match && o.GetLabels()[k] == v
			}
			if match {
				selected = append(selected, o.GetName())
			}
		}
		if !slices.Equal(selected, []string{"dbaas-operator-metrics"}) {
			t.Errorf("the ServiceMonitor selects the Services %q, want the metrics Service alone", selected)
		}
		find(t, objs, "ClusterRoleBinding", "dbaas-metrics-reader")
		rule := find(t, objs, "PrometheusRule", "dbaas-operator")
		groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
		var alerts []string
		for _, g := range groups {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				alerts = append(alerts, r.(map[string]any)["alert"].(string))
			}
		}
		for _, want := range wantAlerts {
			if !slices.Contains(alerts, want) {
				t.Errorf("the PrometheusRule has the alerts %q, not %s", alerts, want)
			}
		}
		dashboard := find(t, objs, "ConfigMap", "dbaas-operator-dashboard")
		if dashboard.GetLabels()["grafana_dashboard"] != "1" {
			t.Errorf("the dashboard ConfigMap has the labels %v, without grafana_dashboard: \"1\" for Grafana's sidecar", dashboard.GetLabels())
		}
		body, _, _ := unstructured.NestedString(dashboard.Object, "data", "dbaas-operator.json")
		want, err := os.ReadFile("../config/grafana/dbaas-operator.json")
		if err != nil {
			t.Fatal(err)
		}
		if body != string(want) {
			t.Errorf("the dashboard ConfigMap does not hold config/grafana/dbaas-operator.json as it is")
		}
	})
}

// TestChartRefusesBadValues: values the operator cannot run with fail the render,
// with a message that says why.
func TestChartRefusesBadValues(t *testing.T) {
	tests := map[string]struct {
		// args are helm's values flags.
		args []string
		// want is a part of helm's error.
		want string
	}{
		"two replicas without leader election": {
			args: []string{"--set", "replicas=2", "--set", "leaderElection.enabled=false"},
			want: "replicas > 1 needs leaderElection.enabled",
		},
		"an engine name that is no folder name": {
			args: []string{"--set", "overrides.engines.Post_gres.engine\\.cue=x"},
			want: `"Post_gres" is not an engine name`,
		},
		"an engine file in a subfolder": {
			args: []string{"--set-json", `overrides.engines.postgresql={"sub/engine.cue":"x"}`},
			want: `"sub/engine.cue" is not a file name`,
		},
		"a policy path out of its folder": {
			args: []string{"--set-json", `overrides.policies={"../x.rego":"x"}`},
			want: `"../x.rego" is not a path inside the policies folder`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := renderErr(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("render error %v, want one that says %q", err, tc.want)
			}
		})
	}
}

// wantAlerts are the alerts the PrometheusRule must hold (the README lists them).
var wantAlerts = []string{"DatabaseClusterNotReady", "OpsRequestFailed", "OpsRequestPastTimeout", "DBaaSOperatorDown", "DBaaSReconcileErrors", "DBaaSOverrideFailsToLoad"}
