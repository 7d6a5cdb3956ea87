package dbaas.ops

import data.dbaas.lib

_storage_conf := data.dbaas.backupstorage

# _storage_refs are the BackupStorages the operation names, by the field that names them.
_storage_refs["spec.backup.storageName"] := _ops.backup.storageName if _type == "Backup"

_storage_refs["spec.restore.backupStorage.name"] := _ops.restore.backupStorage.name if _type == "Restore"

# METADATA
# title: BackupStorage names the namespace allows
# description: >-
#   An operation may only name the BackupStorages its namespace's labels allow, as a
#   cluster may (lib.backup_storage_name_violations).
violation contains v if {
	some field, name in _storage_refs
	some v in lib.backup_storage_name_violations(_storage_conf, _labels, _namespace, field, name)
}

# METADATA
# title: BackupStorage within the tier
# description: >-
#   Each BackupStorage the operation names (as input.backupStorages has it: absent
#   while it does not exist) is of a type, in a bucket and with credentials the
#   namespace's tier allows, as for a cluster.
violation contains v if {
	some field, name in _storage_refs
	spec := input.backupStorages[name]
	some v in lib.backup_storage_violations(_storage_conf, _tier.name, _namespace, spec, field, sprintf("BackupStorage %s", [name]))
}
