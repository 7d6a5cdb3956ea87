package dbaas.cluster_test

import data.dbaas.cluster

# _with_storage is the input of a cluster that backs up to BackupStorage name, read
# as storage (null: not found), in a namespace with labels.
_with_storage(name, storage, labels) := object.union(
	_input_in({"spec": {"backup": {"enabled": true, "storageName": name}}}, labels),
	{"backupStorages": {name: storage | storage != null}},
)

_s3 := {"type": "s3", "bucket": "shop-backups", "credentialsSecretName": "s3-creds"}

test_backup_storage_allowed if {
	count(cluster.violation) == 0 with input as _with_storage("shared", _s3, {})
}

test_backup_storage_names_follow_the_namespace_label if {
	labels := {"backupstorage.dbaas.io/team-s3": "true", "backupstorage.dbaas.io/archive": "true", "backupstorage.dbaas.io/old": "false"}
	count(cluster.violation) == 0 with input as _with_storage("archive", _s3, labels)
	cluster.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"namespace shop may not use BackupStorage shared: its labels backupstorage.dbaas.io/<name> allow archive, team-s3",
	)} with input as _with_storage("shared", _s3, labels)
}

test_backup_storage_name_refused_before_it_exists if {
	labels := {"backupstorage.dbaas.io/shared": "false"}
	cluster.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"namespace shop may not use BackupStorage shared: its labels backupstorage.dbaas.io/<name> allow none",
	)} with input as _with_storage("shared", null, labels)
}

test_backup_storage_type_within_the_tier if {
	gcs := {"type": "gcs", "bucket": "shop-backups", "credentialsSecretName": "key"}
	cluster.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"BackupStorage gcs is of type gcs, which tier small may not use (allowed: s3)",
	)} with input as _with_storage("gcs", gcs, {"dbaas.io/tier": "small"})
	count(cluster.violation) == 0 with input as _with_storage("gcs", gcs, {})
}

test_backup_storage_workload_identity_within_the_tier if {
	irsa := {"type": "s3", "bucket": "shop-backups", "workloadIdentity": {}}
	cluster.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"BackupStorage irsa takes the pods' workload identity, which tier standard may not use: give it a credentialsSecretName",
	)} with input as _with_storage("irsa", irsa, {})
	count(cluster.violation) == 0 with input as _with_storage("irsa", irsa, {"dbaas.io/tier": "large"})
}

test_backup_storage_bucket_within_the_tier if {
	conf := {"names_prefix": "backupstorage.dbaas.io/", "tiers": {"standard": {"types": ["s3"], "buckets": ["{namespace}-*"]}}}
	count(cluster.violation) == 0 with input as _with_storage("shared", _s3, {}) with data.dbaas.backupstorage as conf
	other := object.union(_s3, {"bucket": "billing-backups"})
	cluster.violation == {_v(
		"spec.backup.storageName", "BackupStorageForbidden",
		"BackupStorage shared uses bucket billing-backups, which tier standard may not use (allowed: shop-*)",
	)} with input as _with_storage("shared", other, {}) with data.dbaas.backupstorage as conf
}

test_restore_storage_is_judged_too if {
	patch := {"spec": {"dataSource": {"backupStorage": {"name": "gcs", "path": "orders"}}}}
	inp := object.union(_input_in(patch, {"dbaas.io/tier": "small"}), {"backupStorages": {"gcs": {"type": "gcs", "bucket": "b-1", "credentialsSecretName": "key"}}})
	cluster.violation == {_v(
		"spec.dataSource.backupStorage.name", "BackupStorageForbidden",
		"BackupStorage gcs is of type gcs, which tier small may not use (allowed: s3)",
	)} with input as inp
}

test_inline_s3_storage_within_the_tier if {
	conf := {"names_prefix": "backupstorage.dbaas.io/", "tiers": {"standard": {"types": ["s3"], "buckets": ["{namespace}-*"]}}}
	spec := {"backup": {"enabled": true, "storage": {"s3": {"bucket": "billing", "credentialsSecret": "c"}}}}
	cluster.violation == {_v(
		"spec.backup.storage.s3", "BackupStorageForbidden",
		"the inline S3 storage uses bucket billing, which tier standard may not use (allowed: shop-*)",
	)} with input as _input_in({"spec": spec}, {}) with data.dbaas.backupstorage as conf
	ok := {"backup": {"enabled": true, "storage": {"s3": {"bucket": "shop-1", "credentialsSecret": "c"}}}}
	count(cluster.violation) == 0 with input as _input_in({"spec": ok}, {}) with data.dbaas.backupstorage as conf
}
