package dbaas.cluster

import data.dbaas.lib

_storage_conf := data.dbaas.backupstorage

# _storage_refs are the BackupStorages the cluster names, by the field that names them.
_storage_refs["spec.backup.storageName"] := input.cluster.spec.backup.storageName

_storage_refs["spec.dataSource.backupStorage.name"] := input.cluster.spec.dataSource.backupStorage.name

# METADATA
# title: BackupStorage names the namespace allows
# description: >-
#   A cluster may only name the BackupStorages its namespace's labels allow
#   (names_prefix of data.dbaas.backupstorage), when the namespace has such labels.
violation contains v if {
	some field, name in _storage_refs
	some v in lib.backup_storage_name_violations(_storage_conf, _labels, _namespace, field, name)
}

# METADATA
# title: BackupStorage within the tier
# description: >-
#   Each BackupStorage the cluster names (as input.backupStorages has it: absent while
#   it does not exist) is of a type, in a bucket and with credentials the namespace's
#   tier allows.
violation contains v if {
	some field, name in _storage_refs
	spec := input.backupStorages[name]
	some v in lib.backup_storage_violations(_storage_conf, _tier.name, _namespace, spec, field, sprintf("BackupStorage %s", [name]))
}

# METADATA
# title: Inline S3 storage within the tier
# description: The inline S3 block is judged as a storage of type s3 with a Secret.
violation contains v if {
	s3 := input.cluster.spec.backup.storage.s3
	storage := {"type": "s3", "bucket": s3.bucket}
	some v in lib.backup_storage_violations(_storage_conf, _tier.name, _namespace, storage, "spec.backup.storage.s3", "the inline S3 storage")
}
