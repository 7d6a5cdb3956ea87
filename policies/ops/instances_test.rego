package dbaas.ops_test

test_instances_are_the_engine_s_to_judge if {
	# The primary, a stranger: the engine's invalid list refuses them, not the policy.
	count(_violations({"type": "Switchover", "switchover": {"instance": "orders-1"}})) == 0
	count(_violations({"type": "RebuildInstance", "rebuildInstance": {"instance": "orders-9"}})) == 0
}

test_restore_needs_a_backup_name if {
	_violations({"type": "Restore", "restore": {"backupName": ""}}) == {_v(
		"spec.restore.backupName", "BackupNameMissing",
		"Restore needs restore.backupName or restore.backupStorage: the backup to restore",
	)}
	count(_violations({"type": "Restore", "restore": {"backupName": "orders-20260101"}})) == 0
	count(_violations({"type": "Restore", "restore": {"backupStorage": {"name": "archive", "path": "orders"}}})) == 0
}
