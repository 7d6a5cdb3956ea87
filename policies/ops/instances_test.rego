package dbaas.ops_test

test_switchover_to_a_replica if {
	count(_violations({"type": "Switchover", "switchover": {"instance": "orders-2"}})) == 0
	count(_violations({"type": "Switchover"})) == 0
}

test_switchover_target_must_be_a_member if {
	_violations({"type": "Switchover", "switchover": {"instance": "orders-9"}}) == {_v(
		"spec.switchover.instance", "InstanceNotFound",
		"instance orders-9 is not a member of orders; members: orders-1, orders-2, orders-3",
	)}
}

test_switchover_target_must_not_be_the_primary if {
	_violations({"type": "Switchover", "switchover": {"instance": "orders-1"}}) == {_v(
		"spec.switchover.instance", "InstanceIsPrimary",
		"instance orders-1 is already the primary",
	)}
}

test_switchover_needs_a_replica if {
	single := {"status": {"members": [{"name": "orders-1", "role": "primary"}]}}
	_on({"type": "Switchover"}, single) == {_v("spec.switchover", "NoReplica", "orders has no replica to promote")}
}

test_rebuild_a_replica if {
	count(_violations({"type": "RebuildInstance", "rebuildInstance": {"instance": "orders-3"}})) == 0
}

test_rebuild_never_the_primary if {
	_violations({"type": "RebuildInstance", "rebuildInstance": {"instance": "orders-1"}}) == {_v(
		"spec.rebuildInstance.instance", "InstanceIsPrimary",
		"instance orders-1 is the primary and cannot be rebuilt; switch over to another instance first",
	)}
}

test_rebuild_target_must_be_a_member if {
	vs := _on({"type": "RebuildInstance", "rebuildInstance": {"instance": "orders-7"}}, {"status": {"members": [], "primary": ""}})
	vs == {_v("spec.rebuildInstance.instance", "InstanceNotFound", "instance orders-7 is not a member of orders; members: none")}
}

test_restore_needs_a_backup_name if {
	_violations({"type": "Restore", "restore": {"backupName": ""}}) == {_v(
		"spec.restore.backupName", "BackupNameMissing",
		"Restore needs restore.backupName: the backup to restore",
	)}
	count(_violations({"type": "Restore", "restore": {"backupName": "orders-20260101"}})) == 0
}
