package dbaas.lib

# METADATA
# title: BackupStorage names allowed
# description: >-
#   The BackupStorage names a namespace's labels allow, as a set: each label
#   <conf.names_prefix><name> set to "true". Undefined when the namespace has no label
#   with that prefix (any name is allowed).
backup_storage_names(conf, labels) := {substring(k, count(conf.names_prefix), -1) |
	some k, v in labels
	startswith(k, conf.names_prefix)
	v == "true"
} if {
	some k, _ in labels
	startswith(k, conf.names_prefix)
}

# METADATA
# title: BackupStorage name within the namespace's allow-list
# description: >-
#   Refuses BackupStorage name, at field, when the namespace's labels list the
#   storages it may use and name is not among them; none otherwise. Clusters and
#   OpsRequests share it.
backup_storage_name_violations(conf, labels, namespace, field, name) := {violation(field, "BackupStorageForbidden", msg) |
	allowed := backup_storage_names(conf, labels)
	not name in allowed
	msg := sprintf("namespace %s may not use BackupStorage %s: its labels %s<name> allow %s", [namespace, name, conf.names_prefix, _listed_names(allowed)])
}

_listed_names(names) := concat(", ", sort(names)) if count(names) > 0

else := "none"

# METADATA
# title: BackupStorage within the tier
# description: >-
#   Judges one storage ({"type", "bucket", "workloadIdentity"?}) named what, at field,
#   against the rules of tier (conf.tiers[tier]); none when the tier has no rules.
backup_storage_violations(conf, tier, namespace, storage, field, what) := {violation(field, "BackupStorageForbidden", msg) |
	rules := conf.tiers[tier]
	some msg in _backup_storage_refusals(rules, tier, namespace, storage, what)
}

# _backup_storage_refusals are the messages of what rules refuse of storage.
_backup_storage_refusals(rules, tier, namespace, storage, what) := (types | buckets) | identity if {
	types := {msg |
		not storage.type in rules.types
		msg := sprintf("%s is of type %s, which tier %s may not use (allowed: %s)", [what, storage.type, tier, concat(", ", rules.types)])
	}
	patterns := [replace(p, "{namespace}", namespace) | some p in rules.buckets]
	buckets := {msg |
		not _any_glob(patterns, storage.bucket)
		msg := sprintf("%s uses bucket %s, which tier %s may not use (allowed: %s)", [what, storage.bucket, tier, concat(", ", patterns)])
	}
	identity := {msg |
		storage.workloadIdentity
		not rules.workloadIdentity == true
		msg := sprintf("%s takes the pods' workload identity, which tier %s may not use: give it a credentialsSecretName", [what, tier])
	}
}

_any_glob(patterns, s) if {
	some p in patterns
	glob.match(p, [], s)
}
