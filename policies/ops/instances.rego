package dbaas.ops

import data.dbaas.lib

# Which instance a Switchover or a RebuildInstance may name (a healthy replica, never
# the primary) is the engine's to say: its invalid list reads the child's own view of
# its instances, at admission and when the operation starts.

# METADATA
# title: Restore names a backup
# description: >-
#   A restore needs the name of the backup to restore, or a backup in a BackupStorage
#   (restore.backupStorage).
violation contains lib.violation("spec.restore.backupName", "BackupNameMissing", msg) if {
	input.ops.spec.type == "Restore"
	not _unsupported
	object.get(_ops, ["restore", "backupName"], "") == ""
	not _ops.restore.backupStorage
	msg := "Restore needs restore.backupName or restore.backupStorage: the backup to restore"
}
