package controller

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// maxStaleMargin bounds the margin a backup has past its schedule's next run
// before it counts as stale: half the schedule's interval, at most this.
const maxStaleMargin = 6 * time.Hour

// backupVerdict is the BackupHealthy condition the backup status calls for.
type backupVerdict struct {
	// condition is nil when there is nothing to judge: no schedule and no finished
	// backup.
	condition *metav1.Condition
	// staleAt is when a healthy or awaited backup becomes stale; zero when nothing
	// changes with time alone.
	staleAt time.Time
}

// judgeBackups decides BackupHealthy from the mapped backup status at now. The
// last finished backup failing is BackupFailed; with a schedule, no success by the
// run after the last one plus a margin is BackupStale. awaitingSince is when the
// cluster started waiting for its first backup (the previous condition's
// transition time), used while no backup ever succeeded.
func judgeBackups(b *dbaasv1.BackupStatus, awaitingSince, now time.Time) backupVerdict {
	if b == nil {
		return backupVerdict{}
	}
	var lastFinished *dbaasv1.BackupRecord
	for i := range b.Backups {
		if p := b.Backups[i].Phase; p == dbaasv1.BackupSucceeded || p == dbaasv1.BackupFailed {
			lastFinished = &b.Backups[i]
			break
		}
	}
	if lastFinished != nil && lastFinished.Phase == dbaasv1.BackupFailed {
		msg := fmt.Sprintf("backup %s failed", lastFinished.Name)
		if lastFinished.Message != "" {
			msg += ": " + lastFinished.Message
		}
		return backupVerdict{condition: backupCondition(metav1.ConditionFalse, dbaasv1.BackupFailedReason, msg)}
	}
	lastSuccess, hasSuccess := lastSuccessTime(b)
	if b.Schedule == "" {
		if !hasSuccess {
			return backupVerdict{}
		}
		return backupVerdict{condition: backupCondition(metav1.ConditionTrue, dbaasv1.BackupSucceededReason,
			fmt.Sprintf("the last backup succeeded at %s", lastSuccess.UTC().Format(time.RFC3339)))}
	}
	schedule, err := cron.ParseStandard(b.Schedule)
	if err != nil {
		return backupVerdict{condition: backupCondition(metav1.ConditionUnknown, dbaasv1.InvalidScheduleReason,
			fmt.Sprintf("cannot read the schedule %q: %v", b.Schedule, err))}
	}
	since := awaitingSince
	if hasSuccess {
		since = lastSuccess
	}
	due := schedule.Next(since)
	staleAt := due.Add(staleMargin(schedule, due))
	if !now.Before(staleAt) {
		msg := fmt.Sprintf("no backup succeeded since %s; schedule %q expected one by %s",
			since.UTC().Format(time.RFC3339), b.Schedule, due.UTC().Format(time.RFC3339))
		if !hasSuccess {
			msg = fmt.Sprintf("no backup succeeded yet on schedule %q", b.Schedule)
		}
		return backupVerdict{condition: backupCondition(metav1.ConditionFalse, dbaasv1.BackupStaleReason, msg)}
	}
	if !hasSuccess {
		return backupVerdict{staleAt: staleAt, condition: backupCondition(metav1.ConditionUnknown, dbaasv1.AwaitingFirstBackupReason,
			fmt.Sprintf("no backup finished yet; schedule %q expects one by %s", b.Schedule, due.UTC().Format(time.RFC3339)))}
	}
	return backupVerdict{staleAt: staleAt, condition: backupCondition(metav1.ConditionTrue, dbaasv1.BackupSucceededReason,
		fmt.Sprintf("the last backup succeeded at %s; the next is due by %s", lastSuccess.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339)))}
}

// lastSuccessTime is the time of the last successful backup: the status's, or the
// completion of the newest record that succeeded.
func lastSuccessTime(b *dbaasv1.BackupStatus) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, b.LastSuccessfulBackup); err == nil {
		return t, true
	}
	for _, r := range b.Backups {
		if r.Phase != dbaasv1.BackupSucceeded {
			continue
		}
		if t, err := time.Parse(time.RFC3339, r.CompletedAt); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// staleMargin is how long past a due run a backup may take: half the schedule's
// interval at that run, at most maxStaleMargin.
func staleMargin(s cron.Schedule, due time.Time) time.Duration {
	return min(s.Next(due).Sub(due)/2, maxStaleMargin)
}

func backupCondition(status metav1.ConditionStatus, reason, message string) *metav1.Condition {
	return &metav1.Condition{Type: dbaasv1.BackupHealthyCondition, Status: status, Reason: reason, Message: message}
}
