package operator

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestBackupKinds lists each engine's backup kind once, with the label its child
// operator sets.
func TestBackupKinds(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range backupKinds(reg) {
		got[k.GVK.String()] = k.Label
	}
	want := map[string]string{
		"postgresql.cnpg.io/v1, Kind=Backup":                    "cnpg.io/cluster",
		"psmdb.percona.com/v1, Kind=PerconaServerMongoDBBackup": "percona.com/cluster",
		"pxc.percona.com/v1, Kind=PerconaXtraDBClusterBackup":   "percona.com/cluster",
	}
	if len(got) != len(want) {
		t.Fatalf("backup kinds %v, want %v", got, want)
	}
	for k, label := range want {
		if got[k] != label {
			t.Errorf("%s: label %q, want %q", k, got[k], label)
		}
	}
}

// TestTrimBackup drops managed fields and kubectl's last-applied copy from a cached
// backup, and keeps the labels and the other annotations.
func TestTrimBackup(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
		"metadata": map[string]any{
			"name":          "b",
			"labels":        map[string]any{"cnpg.io/cluster": "orders"},
			"annotations":   map[string]any{lastAppliedAnnotation: "{...}", "team": "a"},
			"managedFields": []any{map[string]any{"manager": "kubectl"}},
		},
	}}
	out, err := trimBackup(u)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*unstructured.Unstructured)
	if got.GetManagedFields() != nil {
		t.Error("managed fields kept")
	}
	if a := got.GetAnnotations(); a[lastAppliedAnnotation] != "" || a["team"] != "a" {
		t.Errorf("annotations %v, want only team", a)
	}
	if got.GetLabels()["cnpg.io/cluster"] != "orders" {
		t.Errorf("labels %v lost", got.GetLabels())
	}
}
