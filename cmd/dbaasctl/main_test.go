package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommands runs dbaasctl as a user would, offline, and checks the exit code and
// what it prints.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseCluster
metadata: {name: orders, namespace: shop}
spec: {engine: postgresql, clusterSize: 3, storage: {size: 20Gi}, proxy: {enabled: true}}
---
apiVersion: dbaas.io/v1alpha1
kind: OpsRequest
metadata: {name: orders-out, namespace: shop}
spec: {clusterRef: orders, type: HorizontalScaling, horizontalScaling: {replicas: 5}}
`)
	badVersion := write("bad-version.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseCluster
metadata: {name: old}
spec: {engine: postgresql, version: "9", storage: {size: 1Gi}}
`)
	typo := write("typo.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseCluster
metadata: {name: typo}
spec: {engine: postgresql, clustersize: 3, storage: {size: 1Gi}}
`)
	forbidden := write("forbidden.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseCluster
metadata: {name: tuned}
spec: {engine: postgresql, storage: {size: 1Gi}, config: [{name: ssl, value: "off"}]}
`)
	// max_connections and max-connections are one MySQL option: only the engine's
	// merge of the Reconfiguring, which keeps both, shows the duplicate.
	duplicate := write("duplicate.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseCluster
metadata: {name: jam, namespace: shop}
spec: {engine: mysql, version: "8.0", storage: {size: 20Gi}, config: [{name: max-connections, value: "100"}]}
---
apiVersion: dbaas.io/v1alpha1
kind: OpsRequest
metadata: {name: jam-tune, namespace: shop}
spec: {clusterRef: jam, type: Reconfiguring, reconfiguring: {config: [{name: max_connections, value: "300"}]}}
`)
	noCluster := write("no-cluster.yaml", `apiVersion: dbaas.io/v1alpha1
kind: DatabaseClutser
metadata: {name: typo}
spec: {engine: postgresql, storage: {size: 1Gi}}
`)
	// A kubeconfig without clusters: the commands below must not need an API server.
	kubeconfig := write("kubeconfig", "apiVersion: v1\nkind: Config\n")
	tests := map[string]struct {
		args     []string // command line
		code     int      // exit code
		stdout   []string // substrings of stdout
		stderr   []string // substrings of stderr
		noStdout string   // a substring stdout must not have
	}{
		"render prints the children with namespace, labels and key": {
			args:   []string{"render", "-f", good},
			stdout: []string{"kind: Cluster", "kind: Pooler", "namespace: shop", "dbaas.io/key: pooler", "instances: 3"},
		},
		"render fails with the stage and the catalog": {
			args:   []string{"render", "-f", badVersion},
			code:   1,
			stderr: []string{"stage engine", `postgresql version "9" is not in the catalog: choose one of 15, 16, 17`},
		},
		"render refuses a misspelt field": {
			args:   []string{"render", "-f", typo},
			code:   1,
			stderr: []string{`unknown field "spec.clustersize"`},
		},
		"vet lists the engines and checks the clusters": {
			args:   []string{"vet", good},
			stdout: []string{"engine kafka", "engine mongodb", "engine mysql", "engine postgresql", "ok " + good + " (orders)"},
		},
		"vet fails on a file without a DatabaseCluster": {
			args:   []string{"vet", good, noCluster},
			code:   1,
			stdout: []string{"ok " + good + " (orders)"},
			stderr: []string{noCluster + " has no DatabaseCluster to vet"},
		},
		"policy eval allows a cluster and its operation": {
			args:     []string{"policy", "eval", "-f", good},
			stdout:   []string{"DatabaseCluster/orders: allowed", "OpsRequest/orders-out: allowed"},
			noStdout: "denied",
		},
		"policy eval applies the namespace's tier": {
			args:   []string{"policy", "eval", "-f", good, "--namespace-label", "dbaas.io/tier=small"},
			code:   1,
			stdout: []string{"OpsRequest/orders-out: denied", "spec.horizontalScaling.replicas"},
		},
		"policy eval denies a fixed parameter with the reason": {
			args:   []string{"policy", "eval", "-f", forbidden},
			code:   1,
			stdout: []string{"DatabaseCluster/tuned: denied", "spec.config[ssl]:", "(ParameterFixed)"},
		},
		"policy eval judges the spec patch of the engine's operation": {
			args:   []string{"policy", "eval", "-f", duplicate},
			code:   1,
			stdout: []string{"DatabaseCluster/jam: allowed", "OpsRequest/jam-tune: denied", "max_connections repeats max-connections", "(ParameterDuplicate)"},
		},
		"an unknown command points to the help": {
			args:   []string{"frobnicate"},
			code:   2,
			stderr: []string{`unknown command "frobnicate"`, "dbaasctl --help"},
		},
		"--help lists every command and exits 0": {
			args:   []string{"--help"},
			stdout: []string{"create", "describe", "credentials", "connect", "scale", "restore", "ops", "backups", "render", "policy", "--kubeconfig", "--context", "-n, --namespace"},
		},
		"help exits 0": {
			args:   []string{"help"},
			stdout: []string{"Usage:"},
		},
		"a command's -h prints its flags and exits 0": {
			args:   []string{"render", "-h"},
			stderr: []string{"-engines-dir"},
		},
		"a daily command's --help prints its flags and exits 0": {
			args:   []string{"scale", "--help"},
			stdout: []string{"--replicas", "--wait", "--wait-timeout"},
		},
		"completion prints a bash script": {
			args:   []string{"completion", "bash"},
			stdout: []string{"__start_dbaasctl"},
		},
		"create --dry-run prints the cluster without an API server": {
			args:   []string{"--kubeconfig=" + kubeconfig, "-n", "shop", "create", "orders", "--engine", "postgresql", "--size", "3", "--storage", "20Gi", "--cpu", "1", "--memory", "2Gi", "--dry-run", "-o", "yaml"},
			stdout: []string{"kind: DatabaseCluster", "namespace: shop", "clusterSize: 3", "size: 20Gi", "cpu: \"1\"", "memory: 2Gi"},
		},
		"create names the missing flag": {
			args:   []string{"create", "orders"},
			code:   2,
			stderr: []string{"--engine is required: one of kafka, mongodb, mysql, postgresql"},
		},
		"create names the flag of a bad quantity": {
			args:   []string{"create", "orders", "--engine", "mysql", "--storage", "ten gigs", "--dry-run"},
			code:   2,
			stderr: []string{`--storage: "ten gigs" is not a quantity`},
		},
		"an operation verb prints its OpsRequest": {
			args:   []string{"--kubeconfig=" + kubeconfig, "-n", "shop", "reconfigure", "orders", "--set", "max_connections=300", "--set", "work_mem=8MB", "--dry-run", "-o", "yaml"},
			stdout: []string{"kind: OpsRequest", "generateName: orders-reconfigure-", "clusterRef: orders", "type: Reconfiguring", "name: max_connections", "value: \"300\"", "name: work_mem"},
		},
		"an operation verb names its bad flag": {
			args:   []string{"reconfigure", "orders", "--set", "max_connections", "--dry-run"},
			code:   2,
			stderr: []string{`--set: "max_connections" is not KEY=VALUE`},
		},
		"restore names the missing flag": {
			args:   []string{"restore", "orders", "--backup", "b1", "--dry-run"},
			code:   2,
			stderr: []string{"--to is required"},
		},
		"backup --storage names the BackupStorage": {
			args:   []string{"--kubeconfig=" + kubeconfig, "-n", "shop", "backup", "orders", "--storage", "archive", "--dry-run", "-o", "yaml"},
			stdout: []string{"type: Backup", "storageName: archive"},
		},
		"restore --storage restores a BackupStorage's backup into the cluster": {
			args:     []string{"--kubeconfig=" + kubeconfig, "-n", "shop", "restore", "orders", "--storage", "archive", "--path", "orders/2026-01-01T03:00:21Z", "--point-in-time", "2026-01-01T10:00:00Z", "--dry-run", "-o", "yaml"},
			stdout:   []string{"type: Restore", "name: archive", "path: orders/2026-01-01T03:00:21Z", "pointInTime: \"2026-01-01T10:00:00Z\""},
			noStdout: "targetCluster",
		},
		"restore --storage needs --path": {
			args:   []string{"restore", "orders", "--storage", "archive", "--dry-run"},
			code:   2,
			stderr: []string{"--path is required with --storage"},
		},
		"restore --storage --to names the new cluster": {
			args:   []string{"--kubeconfig=" + kubeconfig, "-n", "shop", "restore", "orders", "--storage", "archive", "--path", "orders", "--to", "orders-copy", "--dry-run", "-o", "yaml"},
			stdout: []string{"type: Restore", "name: archive", "path: orders", "targetCluster: orders-copy"},
		},
		"restore takes one of --backup or --storage": {
			args:   []string{"restore", "orders", "--storage", "archive", "--path", "orders", "--backup", "orders-nightly", "--dry-run"},
			code:   2,
			stderr: []string{"give one of --backup or --storage"},
		},
		"restore names both ways when given neither": {
			args:   []string{"restore", "orders", "--dry-run"},
			code:   2,
			stderr: []string{"--backup (into a new cluster, with --to) or --storage (with --path) is required"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, &stdout, &stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout does not contain %q:\n%s", s, &stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr does not contain %q:\n%s", s, &stderr)
				}
			}
			if tc.noStdout != "" && strings.Contains(stdout.String(), tc.noStdout) {
				t.Errorf("stdout contains %q:\n%s", tc.noStdout, &stdout)
			}
		})
	}
}
