package policy

import (
	"encoding/json"
	"sync"
	"testing"

	"dbaas.io/operator/policies"
)

var (
	embeddedOnce sync.Once
	embeddedSet  *Set
	embeddedErr  error
)

// embedded loads the shipped policies once per test binary.
func embedded(tb testing.TB) *Set {
	tb.Helper()
	embeddedOnce.Do(func() { embeddedSet, embeddedErr = Load(policies.FS) })
	if embeddedErr != nil {
		tb.Fatal(embeddedErr)
	}
	return embeddedSet
}

// object decodes a JSON literal, as the controller would hand over an unstructured object.
func object(tb testing.TB, s string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// option changes a JSON object in place.
type option func(map[string]any)

// set sets the value at a path of keys, creating objects on the way.
func set(value any, path ...string) option {
	return func(m map[string]any) {
		for _, k := range path[:len(path)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[path[len(path)-1]] = value
	}
}

// config sets spec.config to name/value pairs.
func config(pairs ...string) option {
	var cfg []any
	for i := 0; i+1 < len(pairs); i += 2 {
		cfg = append(cfg, map[string]any{"name": pairs[i], "value": pairs[i+1]})
	}
	return set(cfg, "spec", "config")
}

// pgCluster is a valid, Ready, three-instance PostgreSQL cluster with orders-1 primary.
func pgCluster(tb testing.TB, opts ...option) map[string]any {
	m := object(tb, `{
		"apiVersion": "dbaas.io/v1alpha1", "kind": "DatabaseCluster",
		"metadata": {"name": "orders", "namespace": "shop"},
		"spec": {
			"engine": "postgresql", "version": "16", "clusterSize": 3,
			"storage": {"size": "20Gi"},
			"resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
			"config": [{"name": "max_connections", "value": "300"}, {"name": "max_wal_size", "value": "2GB"}]
		},
		"status": {
			"phase": "Ready", "version": "16", "primary": "orders-1",
			"members": [
				{"name": "orders-1", "role": "primary"},
				{"name": "orders-2", "role": "replica"},
				{"name": "orders-3", "role": "replica"}
			]
		}
	}`)
	for _, o := range opts {
		o(m)
	}
	return m
}

// allOps are every OpsRequest type but Custom.
var allOps = []string{"Start", "Stop", "Restart", "HorizontalScaling", "VerticalScaling", "VolumeExpansion",
	"Reconfiguring", "Upgrade", "Backup", "Restore", "Switchover", "RebuildInstance", "RotateCredentials"}

var pgEngine = Engine{Name: "postgresql", Versions: []string{"16", "17"}, Operations: allOps}
