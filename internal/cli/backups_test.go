package cli

import (
	"bytes"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestPrintBackups prints the backups a cluster's status reports, its last success
// and its recoverable window.
func TestPrintBackups(t *testing.T) {
	withBackups := func(b *dbaasv1.BackupStatus) *dbaasv1.DatabaseCluster {
		return &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Name: "orders"}, Status: dbaasv1.DatabaseClusterStatus{Backup: b}}
	}
	tests := map[string]struct {
		cluster *dbaasv1.DatabaseCluster // the cluster, with its status
		output  string                   // -o
		stdout  string                   // what is printed
		stderr  string                   // and said besides
	}{
		"backups and a window": {
			cluster: withBackups(&dbaasv1.BackupStatus{
				Backups: []dbaasv1.BackupRecord{
					{Name: "adhoc", Phase: dbaasv1.BackupRunning, Type: "logical", StartedAt: "2026-01-02T13:00:00Z"},
					{Name: "cron-2", Phase: dbaasv1.BackupFailed, Type: "logical", Scheduled: true, CompletedAt: "2026-01-02T12:00:30Z", Message: "storage is not initialized"},
					{Name: "cron-1", Phase: dbaasv1.BackupSucceeded, Type: "logical", Scheduled: true, StartedAt: "2026-01-02T06:00:00Z", CompletedAt: "2026-01-02T06:02:00Z"},
				},
				LastSuccessfulBackup:     "2026-01-02T06:02:00Z",
				FirstRecoverabilityPoint: "2026-01-02T06:02:00Z",
				LatestRecoverableTime:    "2026-01-02T12:59:40Z",
			}),
			output: "table",
			stdout: "NAME     PHASE       TYPE      SCHEDULED   STARTED                COMPLETED\n" +
				"adhoc    Running     logical   false       2026-01-02T13:00:00Z   -\n" +
				"cron-2   Failed      logical   true        -                      2026-01-02T12:00:30Z\n" +
				"cron-1   Succeeded   logical   true        2026-01-02T06:00:00Z   2026-01-02T06:02:00Z\n" +
				"cron-2 failed: storage is not initialized\n" +
				"Last successful backup: 2026-01-02T06:02:00Z\n" +
				"Recoverable window: 2026-01-02T06:02:00Z to 2026-01-02T12:59:40Z\n",
		},
		"continuous archiving reaches now": {
			cluster: withBackups(&dbaasv1.BackupStatus{FirstRecoverabilityPoint: "2026-01-01T03:00:00Z", ContinuousArchiving: "True"}),
			output:  "table",
			stdout:  "Recoverable window: 2026-01-01T03:00:00Z to now (continuous archiving)\n",
			stderr:  "No backups of orders found.\n",
		},
		"no status yet": {
			cluster: withBackups(nil),
			output:  "table",
			stderr:  "No backups of orders found.\n",
		},
		"as JSON": {
			cluster: withBackups(&dbaasv1.BackupStatus{Enabled: true, Backups: []dbaasv1.BackupRecord{{Name: "b", Phase: dbaasv1.BackupSucceeded}}}),
			output:  "json",
			stdout:  "{\n    \"enabled\": true,\n    \"backups\": [\n        {\n            \"name\": \"b\",\n            \"phase\": \"Succeeded\"\n        }\n    ]\n}\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := printBackups(&out, &errOut, tc.cluster, tc.output); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.stdout || errOut.String() != tc.stderr {
				t.Fatalf("stdout:\n%s\nstderr:\n%s\nwant stdout:\n%s\nstderr:\n%s", out.String(), errOut.String(), tc.stdout, tc.stderr)
			}
		})
	}
}
