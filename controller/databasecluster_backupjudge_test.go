package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestJudgeBackups covers the verdicts the envtest scenario does not reach.
func TestJudgeBackups(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	succeeded := dbaasv1.BackupRecord{Name: "ok", Phase: dbaasv1.BackupSucceeded, CompletedAt: "2026-01-02T03:05:00Z"}
	failed := dbaasv1.BackupRecord{Name: "bad", Phase: dbaasv1.BackupFailed, Message: "no space"}
	running := dbaasv1.BackupRecord{Name: "now", Phase: dbaasv1.BackupRunning}
	cases := map[string]struct {
		status *dbaasv1.BackupStatus
		// reason is the condition's reason, "" for no condition.
		reason string
		// status of the condition.
		want metav1.ConditionStatus
		// staleAt is when the verdict changes by time alone; zero for never.
		staleAt time.Time
	}{
		"no backup status":           {status: nil},
		"no schedule and no backups": {status: &dbaasv1.BackupStatus{}},
		"no schedule, only running":  {status: &dbaasv1.BackupStatus{Backups: []dbaasv1.BackupRecord{running}}},
		"no schedule, a success is never stale": {status: &dbaasv1.BackupStatus{Backups: []dbaasv1.BackupRecord{succeeded}},
			reason: dbaasv1.BackupSucceededReason, want: metav1.ConditionTrue},
		"a running backup does not hide the last failure": {status: &dbaasv1.BackupStatus{Schedule: "0 3 * * *",
			Backups: []dbaasv1.BackupRecord{running, failed, succeeded}}, reason: dbaasv1.BackupFailedReason, want: metav1.ConditionFalse},
		"an hourly schedule has half an hour of margin": {status: &dbaasv1.BackupStatus{Schedule: "0 * * * *", LastSuccessfulBackup: "2026-01-02T11:10:00Z"},
			reason: dbaasv1.BackupSucceededReason, want: metav1.ConditionTrue, staleAt: time.Date(2026, 1, 2, 12, 30, 0, 0, time.UTC)},
		"past the margin of an hourly schedule": {status: &dbaasv1.BackupStatus{Schedule: "0 * * * *", LastSuccessfulBackup: "2026-01-02T10:10:00Z"},
			reason: dbaasv1.BackupStaleReason, want: metav1.ConditionFalse},
		"an unreadable schedule": {status: &dbaasv1.BackupStatus{Schedule: "61 * * * *"},
			reason: dbaasv1.InvalidScheduleReason, want: metav1.ConditionUnknown},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := judgeBackups(tc.status, now, now)
			if tc.reason == "" {
				if v.condition != nil {
					t.Fatalf("condition %+v, want none", v.condition)
				}
				return
			}
			if v.condition == nil || v.condition.Reason != tc.reason || v.condition.Status != tc.want {
				t.Fatalf("condition %+v, want %s %s", v.condition, tc.want, tc.reason)
			}
			if !v.staleAt.Equal(tc.staleAt) {
				t.Fatalf("staleAt %s, want %s", v.staleAt, tc.staleAt)
			}
		})
	}
}
