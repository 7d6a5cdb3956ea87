package dbaas.ops_test

import data.dbaas.ops

_reconfigure(cfg) := _violations({"type": "Reconfiguring", "reconfiguring": {"config": cfg}})

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
	count(_on(
		{"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "max_wal_size", "value": "8GB"}]}},
		{"spec": {"config": [{"name": "min_wal_size", "value": "4GB"}]}},
	)) == 0
}

test_reconfiguring_ignores_problems_of_parameters_it_does_not_set if {
	count(_on(
		{"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "work_mem", "value": "8MB"}]}},
		{"spec": {"config": [{"name": "unknown_thing", "value": "1"}]}},
	)) == 0
}

test_reconfiguring_unknown_parameters_with_unsafe_config if {
	op := {"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "pg_x.y", "value": "1"}]}}
	annotated := {"metadata": {"annotations": {"dbaas.io/unsafe-config": "true"}}}
	large := object.union(_input(op, annotated), {"namespace": {"labels": {"dbaas.io/tier": "large"}}})
	count(ops.violation) == 0 with input as large
	_on(op, annotated) == {_v(
		"spec.reconfiguring.config[pg_x.y]", "ParameterUnknown",
		"pg_x.y is not a known postgresql parameter; namespace shop may not use the dbaas.io/unsafe-config annotation",
	)}
}
