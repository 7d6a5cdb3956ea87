package policy

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"dbaas.io/operator/api/v1alpha1"
)

func TestEvalCluster(t *testing.T) {
	s := embedded(t)
	tests := map[string]struct {
		cluster []option          // changes to the sample PostgreSQL cluster
		labels  map[string]string // namespace labels
		want    []Violation       // exact violations, sorted by field then message
	}{
		"sample is allowed": {},
		"allowed parameters pass": {
			cluster: []option{config("shared_buffers", "1GB", "work_mem", "16MB", "log_statement", "ddl", "statement_timeout", "30s")},
		},
		"fixed parameter names what to use": {
			cluster: []option{config("archive_mode", "on", "shared_preload_libraries", "pg_cron")},
			want: []Violation{
				{"spec.config[archive_mode]", "ParameterFixed", "archive_mode cannot be set: CloudNativePG manages it; use spec.backup"},
				{"spec.config[shared_preload_libraries]", "ParameterFixed", "shared_preload_libraries cannot be set: CloudNativePG manages it; it preloads the libraries its features need"},
			},
		},
		"unknown parameter": {
			cluster: []option{config("max_connection", "300")},
			want:    []Violation{{"spec.config[max_connection]", "ParameterUnknown", "max_connection is not a known postgresql parameter"}},
		},
		"unknown parameter with unsafe annotation in a large tier": {
			cluster: []option{config("pg_x.y", "1"), set("true", "metadata", "annotations", "dbaas.io/unsafe-config")},
			labels:  map[string]string{"dbaas.io/tier": "large"},
		},
		"unsafe annotation refused by the namespace": {
			cluster: []option{config("pg_x.y", "1"), set("true", "metadata", "annotations", "dbaas.io/unsafe-config")},
			want: []Violation{{"spec.config[pg_x.y]", "ParameterUnknown",
				"pg_x.y is not a known postgresql parameter; namespace shop may not use the dbaas.io/unsafe-config annotation"}},
		},
		"min_wal_size above max_wal_size": {
			cluster: []option{config("min_wal_size", "4GB", "max_wal_size", "2GB")},
			want:    []Violation{{"spec.config[min_wal_size]", "ParameterConflict", "min_wal_size (4GB) must be less than max_wal_size (2GB)"}},
		},
		"wal_level minimal on a single instance": {
			cluster: []option{set(1, "spec", "clusterSize"), config("wal_level", "minimal")},
		},
		"wal_level minimal with replicas": {
			cluster: []option{config("wal_level", "minimal")},
			want: []Violation{{"spec.config[wal_level]", "ParameterConflict",
				"wal_level=minimal needs clusterSize 1 and backups disabled: clusterSize is 3"}},
		},
		"cluster size above engine and tier": {
			cluster: []option{set(11, "spec", "clusterSize")},
			want: []Violation{
				{"spec.clusterSize", "TierLimitExceeded", "clusterSize 11 exceeds the limit of tier standard (5)"},
				{"spec.clusterSize", "ClusterSizeOutOfRange", "clusterSize must be between 1 and 9 for postgresql, got 11"},
			},
		},
		"small tier": {
			cluster: []option{set("200Gi", "spec", "storage", "size")},
			labels:  map[string]string{"dbaas.io/tier": "small"},
			want:    []Violation{{"spec.storage.size", "TierLimitExceeded", "storage.size 200Gi exceeds the limit of tier small (100Gi)"}},
		},
		"requests above limits": {
			cluster: []option{set("3", "spec", "resources", "requests", "cpu")},
			want: []Violation{{"spec.resources.requests.cpu", "RequestsExceedLimits",
				"resources.requests.cpu (3) must not exceed resources.limits.cpu (2)"}},
		},
		"external without source ranges": {
			cluster: []option{set("external", "spec", "proxy", "expose", "type")},
			want: []Violation{{"spec.proxy.expose.ipSourceRanges", "ExposureUnrestricted",
				"external exposure needs ipSourceRanges: list the CIDRs allowed to connect"}},
		},
		"external with source ranges": {
			cluster: []option{set(map[string]any{"type": "external", "ipSourceRanges": []any{"10.0.0.0/8"}}, "spec", "proxy", "expose")},
		},
		"mongodb even size": {
			cluster: []option{set("mongodb", "spec", "engine"), set(nil, "spec", "version"), set([]any{}, "spec", "config"), set(4, "spec", "clusterSize")},
			want: []Violation{{"spec.clusterSize", "ClusterSizeEven",
				"clusterSize must be odd for mongodb (1, 3, 5, ...): a replica set needs an odd number of members to elect a primary, got 4"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			in := ClusterInput{
				Cluster:   pgCluster(t, tt.cluster...),
				Engine:    pgEngine,
				Namespace: Namespace{Labels: tt.labels},
			}
			if m := in.Cluster.(map[string]any); m["spec"].(map[string]any)["version"] == nil {
				delete(m["spec"].(map[string]any), "version")
			}
			d, err := s.EvalCluster(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			assertViolations(t, d, tt.want)
		})
	}
}

func TestEvalOps(t *testing.T) {
	s := embedded(t)
	tests := map[string]struct {
		ops       string   // the OpsRequest spec as JSON
		cluster   []option // changes to the sample cluster
		engine    *Engine  // default pgEngine
		specPatch string   // the engine's spec patch as JSON; default none
		want      []Violation
	}{
		"restart": {ops: `{"type": "Restart"}`},
		"kafka has no switchover": {
			ops:     `{"type": "Switchover"}`,
			cluster: []option{set("kafka", "spec", "engine")},
			engine:  &Engine{Name: "kafka", Operations: []string{"Restart", "HorizontalScaling", "Backup"}},
			want: []Violation{{"spec.type", "OperationUnsupported",
				"Kafka has no primary: Switchover is not supported; supported operations: HorizontalScaling, Restart"}},
		},
		"kafka has no backups": {
			ops:     `{"type": "Backup"}`,
			cluster: []option{set("kafka", "spec", "engine")},
			engine:  &Engine{Name: "kafka", Operations: []string{"Restart", "HorizontalScaling", "Backup"}},
			want: []Violation{{"spec.type", "OperationUnsupported",
				"Strimzi has no backups: Backup is not supported; supported operations: HorizontalScaling, Restart"}},
		},
		"reconfiguring a failed cluster": {
			ops:     `{"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "work_mem", "value": "8MB"}]}}`,
			cluster: []option{set("Failed", "status", "phase")},
			want: []Violation{{"spec.type", "ClusterNotReady",
				"Reconfiguring needs a Ready cluster, and orders is Failed; repair it with HorizontalScaling, RebuildInstance, Restart, VerticalScaling"}},
		},
		"scaling a failed cluster": {
			ops:     `{"type": "HorizontalScaling", "horizontalScaling": {"replicas": 5}}`,
			cluster: []option{set("Failed", "status", "phase")},
		},
		"scaling to zero": {
			ops:  `{"type": "HorizontalScaling", "horizontalScaling": {"replicas": 0}}`,
			want: []Violation{{"spec.horizontalScaling.replicas", "ClusterSizeOutOfRange", "horizontalScaling.replicas must be at least 1, got 0"}},
		},
		"volume shrink": {
			ops: `{"type": "VolumeExpansion", "volumeExpansion": {"size": "10Gi"}}`,
			want: []Violation{{"spec.volumeExpansion.size", "VolumeNotLarger",
				"volumeExpansion.size 10Gi must be larger than the current storage.size 20Gi: volumes can only grow"}},
		},
		"volume growth": {ops: `{"type": "VolumeExpansion", "volumeExpansion": {"size": "50Gi"}}`},
		"upgrade":       {ops: `{"type": "Upgrade", "upgrade": {"version": "17"}}`},
		// The engine judges versions (its catalog, what its child operator can do),
		// on every path; the policy has no rule of its own about them.
		"downgrade is the engine's to refuse": {
			ops:     `{"type": "Upgrade", "upgrade": {"version": "13"}}`,
			cluster: []option{set("17", "status", "version")},
		},
		// Which instance may be promoted or rebuilt is the engine's to judge.
		"switchover to the primary is the engine's to refuse": {ops: `{"type": "Switchover", "switchover": {"instance": "orders-1"}}`},
		"restore without backup": {
			ops:  `{"type": "Restore", "restore": {"backupName": ""}}`,
			want: []Violation{{"spec.restore.backupName", "BackupNameMissing", "Restore needs restore.backupName or restore.backupStorage: the backup to restore"}},
		},
		"reconfiguring a fixed parameter": {
			ops: `{"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "port", "value": "5433"}, {"name": "work_mem", "value": "8MB"}]}}`,
			want: []Violation{{"spec.reconfiguring.config[port]", "ParameterFixed",
				"port cannot be set: CloudNativePG manages it; clients connect to the endpoints in status.endpoints"}},
		},
		"reconfiguring against the cluster's config": {
			ops:       `{"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "min_wal_size", "value": "3GB"}]}}`,
			specPatch: `{"config": [{"name": "max_wal_size", "value": "2GB"}, {"name": "min_wal_size", "value": "3GB"}]}`,
			want: []Violation{{"spec.reconfiguring.config[min_wal_size]", "ParameterConflict",
				"min_wal_size (3GB) must be less than max_wal_size (2GB)"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			engine := pgEngine
			if tt.engine != nil {
				engine = *tt.engine
			}
			ops := object(t, `{"apiVersion": "dbaas.io/v1alpha1", "kind": "OpsRequest", "metadata": {"name": "op", "namespace": "shop"}}`)
			spec := object(t, tt.ops)
			spec["clusterRef"] = "orders"
			ops["spec"] = spec
			in := OpsInput{Ops: ops, Cluster: pgCluster(t, tt.cluster...), Engine: engine}
			if tt.specPatch != "" {
				in.SpecPatch = object(t, tt.specPatch)
			}
			d, err := s.EvalOps(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			assertViolations(t, d, tt.want)
		})
	}
}

// TestEvalTypedObjects feeds Go API types rather than maps: they go through JSON.
func TestEvalTypedObjects(t *testing.T) {
	s := embedded(t)
	size := int32(2)
	c := &v1alpha1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop"},
		Spec: v1alpha1.DatabaseClusterSpec{
			Engine:      "mysql",
			ClusterSize: &size,
			Storage:     v1alpha1.Storage{Size: resource.MustParse("20Gi")},
			Config:      []v1alpha1.ConfigParameter{{Name: "gtid_mode", Value: "OFF"}},
		},
	}
	d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: c, Engine: Engine{Name: "mysql", Versions: []string{"8.4"}}})
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, []Violation{
		{"spec.clusterSize", "ClusterSizeEven", "clusterSize must be odd for mysql (1, 3, 5, ...): Galera needs an odd number of nodes for quorum, got 2"},
		{"spec.config[gtid_mode]", "ParameterFixed", "gtid_mode cannot be set: the Percona Operator for MySQL manages it; Percona XtraDB Cluster needs GTIDs"},
	})
	if d.Allowed() {
		t.Error("Allowed() is true with violations")
	}
	want := "clusterSize must be odd for mysql (1, 3, 5, ...): Galera needs an odd number of nodes for quorum, got 2; " +
		"gtid_mode cannot be set: the Percona Operator for MySQL manages it; Percona XtraDB Cluster needs GTIDs"
	if got := d.Message(); got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

// TestEvalConcurrent evaluates one Set from many goroutines (run with -race).
func TestEvalConcurrent(t *testing.T) {
	s := embedded(t)
	done := make(chan error)
	for i := range 8 {
		go func() {
			in := ClusterInput{Cluster: pgCluster(t, set(i+1, "spec", "clusterSize")), Engine: pgEngine}
			_, err := s.EvalCluster(context.Background(), in)
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func assertViolations(t *testing.T, d Decision, want []Violation) {
	t.Helper()
	if want == nil {
		want = []Violation{}
	}
	if !reflect.DeepEqual(d.Violations, want) {
		got, _ := json.MarshalIndent(d.Violations, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("violations:\n%s\nwant:\n%s", got, exp)
	}
	if d.Allowed() != (len(want) == 0) {
		t.Errorf("Allowed() = %v with %d violations", d.Allowed(), len(want))
	}
}

func TestDecisionOnlyReason(t *testing.T) {
	notReady := Violation{Field: "status.phase", Reason: "ClusterNotReady", Message: "not ready"}
	fixed := Violation{Field: "spec.config[ssl]", Reason: "ParameterFixed", Message: "fixed"}
	tests := map[string]struct {
		violations []Violation
		want       bool
	}{
		"allowed":            {want: false},
		"only that reason":   {violations: []Violation{notReady, notReady}, want: true},
		"another reason":     {violations: []Violation{fixed}, want: false},
		"and another reason": {violations: []Violation{notReady, fixed}, want: false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := (Decision{Violations: tt.violations}).OnlyReason("ClusterNotReady"); got != tt.want {
				t.Errorf("OnlyReason = %v, want %v", got, tt.want)
			}
		})
	}
}
