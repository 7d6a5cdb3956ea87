package webhook

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// TestVersionEditHeldToUpgradeRules edits spec.version of a cluster the way
// `kubectl edit` does and checks that the webhook refuses exactly what the Upgrade
// operation refuses, with the same message: one definition, the engine's.
func TestVersionEditHeldToUpgradeRules(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	providers := &provider.Factory{Registry: reg}
	v := &DatabaseClusterValidator{Providers: providers, Registry: reg}
	tests := map[string]struct {
		engine        string
		running, spec string // the old status's version ("" for none), the old spec's
		edit          string // the new spec.version
		refused       bool   // the Upgrade operation refuses the edit, and so must the webhook
	}{
		"postgresql downgrade":          {engine: "postgresql", running: "17", spec: "17", edit: "16", refused: true},
		"postgresql upgrade":            {engine: "postgresql", running: "16", spec: "16", edit: "17"},
		"downgrade before any status":   {engine: "postgresql", spec: "17", edit: "16", refused: true},
		"spec ahead of the status":      {engine: "postgresql", running: "16", spec: "17", edit: "16"},
		"mongodb skipped major":         {engine: "mongodb", running: "6.0", spec: "6.0", edit: "8.0", refused: true},
		"mongodb one major":             {engine: "mongodb", running: "6.0", spec: "6.0", edit: "7.0"},
		"mysql downgrade":               {engine: "mysql", running: "8.4", spec: "8.4", edit: "8.0", refused: true},
		"kafka downgrade":               {engine: "kafka", running: "3.7.0", spec: "3.7.0", edit: "3.6.1", refused: true},
		"kafka upgrade within the line": {engine: "kafka", running: "3.6.0", spec: "3.6.0", edit: "3.6.1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			old := cluster(tc.engine, tc.spec)
			old.Status.Version = tc.running
			edited := cluster(tc.engine, tc.edit)
			_, err := v.ValidateUpdate(context.Background(), old, edited)

			// The Upgrade operation from the same cluster to the same version.
			p, perr := providers.Get(tc.engine)
			if perr != nil {
				t.Fatal(perr)
			}
			upgrade := &dbaasv1.OpsRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "up", Namespace: "shop"},
				Spec:       dbaasv1.OpsRequestSpec{ClusterRef: "c", Type: dbaasv1.OpsUpgrade, Upgrade: &dbaasv1.Upgrade{Version: tc.edit}},
			}
			op, perr := p.Operations().Evaluate(old, upgrade, nil, nil, nil)
			if perr != nil {
				t.Fatal(perr)
			}
			if !tc.refused {
				if err != nil {
					t.Fatalf("edit refused: %v", err)
				}
				for _, m := range op.Invalid {
					// An Upgrade to the running version does nothing; an edit back to it
					// is allowed.
					if !strings.HasPrefix(m, "the cluster already runs ") {
						t.Fatalf("the Upgrade operation refuses it: %v", op.Invalid)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("edit admitted")
			}
			if len(op.Invalid) != 1 {
				t.Fatalf("the Upgrade operation's invalid is %v, want one message", op.Invalid)
			}
			if !strings.Contains(err.Error(), op.Invalid[0]) {
				t.Fatalf("the webhook says\n%v\nthe Upgrade operation says\n%s", err, op.Invalid[0])
			}
		})
	}
}

func cluster(engine, version string) *dbaasv1.DatabaseCluster {
	return &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "shop"},
		Spec: dbaasv1.DatabaseClusterSpec{
			Engine: engine, Version: version, ClusterSize: ptr.To[int32](1),
			Storage: dbaasv1.Storage{Size: resource.MustParse("1Gi")},
		},
	}
}

func TestParametersPath(t *testing.T) {
	tests := map[string]struct {
		spec dbaasv1.OpsRequestSpec
		want string
	}{
		"parameters given": {spec: dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsBackup, Backup: &dbaasv1.BackupOps{Name: "b"}}, want: "spec.backup"},
		"two words":        {spec: dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsRebuildInstance, RebuildInstance: &dbaasv1.RebuildInstance{Instance: "x-2"}}, want: "spec.rebuildInstance"},
		"none given":       {spec: dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsBackup}, want: "spec.type"},
		"none to give":     {spec: dbaasv1.OpsRequestSpec{Type: dbaasv1.OpsRestart}, want: "spec.type"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parametersPath(&dbaasv1.OpsRequest{Spec: tc.spec}).String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMadeBy(t *testing.T) {
	object := func(mutate func(u *unstructured.Unstructured)) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kubectl-create"}})
		mutate(u)
		return u
	}
	tests := map[string]struct {
		object *unstructured.Unstructured
		want   string
	}{
		"a controller": {object: object(func(u *unstructured.Unstructured) {
			u.SetOwnerReferences([]metav1.OwnerReference{{Kind: "DatabaseCluster", Name: "orders", Controller: ptr.To(true)}})
		}), want: "it belongs to DatabaseCluster orders"},
		"retained": {object: object(func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{dbaasv1.RetainedAnnotation: "orders"})
		}), want: "it was retained when DatabaseCluster orders was deleted with deletionPolicy Retain"},
		"an operation": {object: object(func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{dbaasv1.OpsRequestLabel: "nightly"})
		}), want: "OpsRequest nightly created it"},
		"a tool":   {object: object(func(*unstructured.Unstructured) {}), want: "kubectl-create created it"},
		"no trace": {object: &unstructured.Unstructured{}, want: "the operator did not create it"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := madeBy(tc.object); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
