package dbaas.ops_test

import data.dbaas.ops

# _engine_merge is spec.config after a Reconfiguring as the postgresql engine merges it
# (engines/postgresql/operations.cue): the new parameters replace those of the same
# name and come last. The operator passes the engine's result as input.specPatch.
_engine_merge(current, cfg) := array.concat([p | some p in current; not p.name in {q.name | some q in cfg}], cfg)

# _reconfigure_on evaluates a Reconfiguring of cfg on the sample cluster patched.
_reconfigure_on(cfg, cluster_patch) := vs if {
	op := {"type": "Reconfiguring", "reconfiguring": {"config": cfg}}
	base := _input(op, cluster_patch)
	patch := {"config": _engine_merge(object.get(base.cluster.spec, "config", []), cfg)}
	vs := ops.violation with input as object.union(base, {"specPatch": patch})
}

_reconfigure(cfg) := _reconfigure_on(cfg, {})

test_reconfiguring_allowed_parameters if {
	count(_reconfigure([{"name": "work_mem", "value": "64MB"}, {"name": "min_wal_size", "value": "1GB"}])) == 0
}

test_reconfiguring_applies_the_config_rules if {
	_reconfigure([{"name": "ssl", "value": "off"}]) == {_v(
		"spec.reconfiguring.config[ssl]", "ParameterFixed",
		"ssl cannot be set: CloudNativePG manages it; TLS uses the operator's certificates",
	)}
	_reconfigure([{"name": "wal_level", "value": "minimal"}]) == {_v(
		"spec.reconfiguring.config[wal_level]", "ParameterConflict",
		"wal_level=minimal needs clusterSize 1 and backups disabled: clusterSize is 3",
	)}
	_reconfigure([{"name": "no_such", "value": "1"}]) == {_v(
		"spec.reconfiguring.config[no_such]", "ParameterUnknown",
		"no_such is not a known postgresql parameter",
	)}
}

test_reconfiguring_checks_against_the_cluster_config if {
	# The cluster sets max_wal_size 2GB; min_wal_size 4GB conflicts with it.
	_reconfigure([{"name": "min_wal_size", "value": "4GB"}]) == {_v(
		"spec.reconfiguring.config[min_wal_size]", "ParameterConflict",
		"min_wal_size (4GB) must be less than max_wal_size (2GB)",
	)}

	# Lowering max_wal_size below the default min_wal_size is reported on max_wal_size.
	_reconfigure([{"name": "max_wal_size", "value": "64MB"}]) == {_v(
		"spec.reconfiguring.config[max_wal_size]", "ParameterConflict",
		"min_wal_size (80MB, the default) must be less than max_wal_size (64MB)",
	)}

	# Raising max_wal_size lifts a conflict in the cluster's config.
	count(_reconfigure_on(
		[{"name": "max_wal_size", "value": "8GB"}],
		{"spec": {"config": [{"name": "min_wal_size", "value": "4GB"}]}},
	)) == 0
}

test_reconfiguring_ignores_problems_of_parameters_it_does_not_set if {
	count(_reconfigure_on(
		[{"name": "work_mem", "value": "8MB"}],
		{"spec": {"config": [{"name": "unknown_thing", "value": "1"}]}},
	)) == 0
}

test_reconfiguring_unknown_parameters_with_unsafe_config if {
	cfg := [{"name": "pg_x.y", "value": "1"}]
	annotated := {"metadata": {"annotations": {"dbaas.io/unsafe-config": "true"}}}
	large := object.union(
		_input({"type": "Reconfiguring", "reconfiguring": {"config": cfg}}, annotated),
		{"namespace": {"labels": {"dbaas.io/tier": "large"}}, "specPatch": {"config": cfg}},
	)
	count(ops.violation) == 0 with input as large
	_reconfigure_on(cfg, annotated) == {_v(
		"spec.reconfiguring.config[pg_x.y]", "ParameterUnknown",
		"pg_x.y is not a known postgresql parameter; namespace shop may not use the dbaas.io/unsafe-config annotation",
	)}
}

# _mysql_reconfigure evaluates a Reconfiguring of a mysql cluster configured with
# current to new, the engine's result being merged.
_mysql_reconfigure(current, new, merged) := vs if {
	vs := ops.violation with input as _mysql_input(current, new, merged)
}

_mysql_input(current, new, merged) := {
	"ops": {"metadata": {"name": "op"}, "spec": {"clusterRef": "jam", "type": "Reconfiguring", "reconfiguring": {"config": new}}},
	"cluster": {
		"metadata": {"name": "jam", "namespace": "shop"},
		"spec": {"engine": "mysql", "version": "8.0", "clusterSize": 3, "storage": {"size": "20Gi"}, "config": current},
		"status": {"phase": "Ready", "version": "8.0"},
	},
	"engine": {"name": "mysql", "versions": ["8.0", "8.4"], "operations": ["Reconfiguring"]},
	"namespace": {"labels": {}},
	"specPatch": {"config": merged},
}

test_reconfiguring_judges_the_config_the_engine_merges if {
	# max_connections and max-connections are one MySQL option. The mysql engine merges
	# by exact name, so the cluster would get both: the policy refuses what the engine
	# would write, not a merge of its own.
	current := [{"name": "max-connections", "value": "100"}]
	new := [{"name": "max_connections", "value": "300"}]
	_mysql_reconfigure(current, new, array.concat(current, new)) == {_v(
		"spec.reconfiguring.config[max_connections]", "ParameterDuplicate",
		"max_connections repeats max-connections",
	)}

	# An engine that folds the names replaces the option: nothing to refuse.
	count(_mysql_reconfigure(current, new, new)) == 0
}

test_reconfiguring_without_the_engine_merge_judges_the_new_parameters if {
	# max_wal_size 3GB conflicts with the cluster's min_wal_size 4GB once merged; the
	# new parameter alone is fine.
	cfg := [{"name": "max_wal_size", "value": "3GB"}]
	cluster_config := {"spec": {"config": [{"name": "min_wal_size", "value": "4GB"}]}}
	count(_on({"type": "Reconfiguring", "reconfiguring": {"config": cfg}}, cluster_config)) == 0
	_reconfigure_on(cfg, cluster_config) == {_v(
		"spec.reconfiguring.config[max_wal_size]", "ParameterConflict",
		"min_wal_size (4GB) must be less than max_wal_size (3GB)",
	)}
}

test_reconfiguring_kafka_keeps_the_acls if {
	op := {"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "allow.everyone.if.no.acl.found", "value": "true"}]}}
	base := object.union(_kafka(op), {
		"cluster": {"spec": {"engine": "kafka", "version": "3.9.0", "resources": {}}},
		"engine": {"operations": ["Reconfiguring"]},
	})
	vs := ops.violation with input as object.union(base, {"specPatch": {"config": op.reconfiguring.config}})
	vs == {_v(
		"spec.reconfiguring.config[allow.everyone.if.no.acl.found]", "ParameterInsecure",
		"allow.everyone.if.no.acl.found cannot be set: it would let every user do anything on the topics, groups and transactional IDs that no ACL covers; the application's KafkaUser has ACLs for all it needs",
	)}
}
