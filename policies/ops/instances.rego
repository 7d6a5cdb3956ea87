package dbaas.ops

import data.dbaas.lib

_members := {m.name | some m in object.get(_status, "members", [])}

_primaries := {p | some p in [object.get(_status, "primary", "")]; p != ""} | {m.name |
	some m in object.get(_status, "members", [])
	m.role == "primary"
}

_members_text := concat(", ", sort(_members)) if {
	count(_members) > 0
} else := "none"

_switchover_to := object.get(_ops, ["switchover", "instance"], "")

_rebuild := object.get(_ops, ["rebuildInstance", "instance"], "")

# METADATA
# title: Switchover target
# description: The instance to promote must be a member and not already the primary.
violation contains lib.violation("spec.switchover.instance", "InstanceNotFound", msg) if {
	input.ops.spec.type == "Switchover"
	not _unsupported
	_switchover_to != ""
	not _switchover_to in _members
	msg := sprintf("instance %s is not a member of %s; members: %s", [_switchover_to, _cluster_name, _members_text])
}

violation contains lib.violation("spec.switchover.instance", "InstanceIsPrimary", msg) if {
	input.ops.spec.type == "Switchover"
	not _unsupported
	_switchover_to in _primaries
	msg := sprintf("instance %s is already the primary", [_switchover_to])
}

# METADATA
# title: Switchover needs a replica
# description: Without a named instance, the cluster needs a replica to promote.
violation contains lib.violation("spec.switchover", "NoReplica", msg) if {
	input.ops.spec.type == "Switchover"
	not _unsupported
	_switchover_to == ""
	count(_members - _primaries) == 0
	msg := sprintf("%s has no replica to promote", [_cluster_name])
}

# METADATA
# title: Rebuild target
# description: The instance to rebuild must be a member and never the primary.
violation contains lib.violation("spec.rebuildInstance.instance", "InstanceNotFound", msg) if {
	input.ops.spec.type == "RebuildInstance"
	not _unsupported
	_rebuild != ""
	not _rebuild in _members
	msg := sprintf("instance %s is not a member of %s; members: %s", [_rebuild, _cluster_name, _members_text])
}

violation contains lib.violation("spec.rebuildInstance.instance", "InstanceIsPrimary", msg) if {
	input.ops.spec.type == "RebuildInstance"
	not _unsupported
	_rebuild in _primaries
	msg := sprintf("instance %s is the primary and cannot be rebuilt; switch over to another instance first", [_rebuild])
}

# METADATA
# title: Restore names a backup
# description: A restore needs the name of the backup to restore.
violation contains lib.violation("spec.restore.backupName", "BackupNameMissing", msg) if {
	input.ops.spec.type == "Restore"
	not _unsupported
	object.get(_ops, ["restore", "backupName"], "") == ""
	msg := "Restore needs restore.backupName: the backup to restore"
}
