package dbaas.ops_test

import data.dbaas.ops

# _backup_to is the input of a Backup to BackupStorage name, read as storage (null:
# not found), in a namespace with labels.
_backup_to(name, storage, labels) := object.union(
	object.union(_input({"type": "Backup", "backup": {"storageName": name}}, {}), {"namespace": {"name": "shop", "labels": labels}}),
	{"backupStorages": {name: storage | storage != null}},
)

_s3 := {"type": "s3", "bucket": "shop-backups", "credentialsSecretName": "s3-creds"}

test_backup_to_a_storage_allowed if {
	count(ops.violation) == 0 with input as _backup_to("archive", _s3, {})
}

test_backup_to_a_storage_follows_the_namespace_label if {
	labels := {"backupstorage.dbaas.io/archive": "true"}
	count(ops.violation) == 0 with input as _backup_to("archive", _s3, labels)
	ops.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"namespace shop may not use BackupStorage shared: its labels backupstorage.dbaas.io/<name> allow archive",
	)} with input as _backup_to("shared", _s3, labels)
}

test_backup_to_a_storage_refused_before_it_exists if {
	ops.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"namespace shop may not use BackupStorage shared: its labels backupstorage.dbaas.io/<name> allow none",
	)} with input as _backup_to("shared", null, {"backupstorage.dbaas.io/shared": "false"})
}

test_backup_to_a_storage_within_the_tier if {
	gcs := {"type": "gcs", "bucket": "shop-backups", "credentialsSecretName": "key"}
	ops.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"BackupStorage gcs is of type gcs, which tier small may not use (allowed: s3)",
	)} with input as _backup_to("gcs", gcs, {"dbaas.io/tier": "small"})
}

test_backup_without_a_storage_names_none if {
	count(ops.violation) == 0 with input as object.union(
		_input({"type": "Backup", "backup": {"name": "b1"}}, {}),
		{"namespace": {"name": "shop", "labels": {"backupstorage.dbaas.io/archive": "true"}}},
	)
}

test_restore_from_a_storage_follows_the_namespace_label if {
	restore := {"type": "Restore", "restore": {"backupStorage": {"name": "shared", "path": "orders"}}}
	req := object.union(_input(restore, {}), {"namespace": {"name": "shop", "labels": {"backupstorage.dbaas.io/archive": "true"}}})
	ops.violation == {_v(
		"spec.restore.backupStorage.name", "BackupStorageForbidden",
		"namespace shop may not use BackupStorage shared: its labels backupstorage.dbaas.io/<name> allow archive",
	)} with input as req
}
