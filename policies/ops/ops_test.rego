package dbaas.ops_test

import data.dbaas.ops

_all_ops := [
	"Start", "Stop", "Restart", "HorizontalScaling", "VerticalScaling", "VolumeExpansion",
	"Reconfiguring", "Upgrade", "Backup", "Restore", "Switchover", "RebuildInstance",
	"RotateCredentials",
]

# _cluster is a Ready three-instance PostgreSQL cluster with orders-1 as primary.
_cluster := {
	"metadata": {"name": "orders", "namespace": "shop"},
	"spec": {
		"engine": "postgresql",
		"version": "16",
		"clusterSize": 3,
		"storage": {"size": "20Gi"},
		"config": [{"name": "max_wal_size", "value": "2GB"}],
	},
	"status": {
		"phase": "Ready",
		"version": "16",
		"primary": "orders-1",
		"members": [
			{"name": "orders-1", "role": "primary"},
			{"name": "orders-2", "role": "replica"},
			{"name": "orders-3", "role": "replica"},
		],
	},
}

_engine := {"name": "postgresql", "versions": ["16", "17"], "operations": _all_ops}

_input(spec, cluster_patch) := {
	"ops": {"metadata": {"name": "op"}, "spec": object.union({"clusterRef": "orders"}, spec)},
	"cluster": object.union(_cluster, cluster_patch),
	"engine": _engine,
	"namespace": {"labels": {}},
}

# _violations evaluates the gate for an op spec on the sample cluster.
_violations(spec) := vs if {
	vs := ops.violation with input as _input(spec, {})
}

# _on evaluates the gate for an op spec on the sample cluster patched.
_on(spec, cluster_patch) := vs if {
	vs := ops.violation with input as _input(spec, cluster_patch)
}

_v(field, reason, msg) := {"field": field, "reason": reason, "msg": msg}

_failed := {"status": {"phase": "Failed"}}

test_simple_operations_are_allowed if {
	count(_violations({"type": "Restart"})) == 0
	count(_violations({"type": "Stop"})) == 0
	count(_violations({"type": "Backup", "backup": {"name": "b1"}})) == 0
}

test_operation_must_be_offered_by_the_engine if {
	vs := ops.violation with input as object.union(_input({"type": "Upgrade", "upgrade": {"version": "17"}}, {}), {"engine": {"operations": ["Restart", "Stop"]}})
	vs == {_v("spec.type", "OperationUnsupported", "Upgrade is not supported by engine postgresql; supported operations: Restart, Stop")}
}

test_engine_without_operations_supports_none if {
	vs := ops.violation with input as object.union(_input({"type": "Restart"}, {}), {"engine": {"operations": []}})
	vs == {_v("spec.type", "OperationUnsupported", "Restart is not supported by engine postgresql; supported operations: none")}
}

test_parameters_must_be_present if {
	_violations({"type": "Upgrade"}) == {_v("spec.upgrade", "ParametersMissing", "type Upgrade needs spec.upgrade")}
}

test_non_repair_operations_need_a_ready_cluster if {
	_on({"type": "Reconfiguring", "reconfiguring": {"config": [{"name": "work_mem", "value": "8MB"}]}}, _failed) == {_v(
		"spec.type", "ClusterNotReady",
		"Reconfiguring needs a Ready cluster, and orders is Failed; repair it with HorizontalScaling, RebuildInstance, Restart, VerticalScaling",
	)}
	_on({"type": "Backup"}, {"status": {"phase": ""}}) == {_v(
		"spec.type", "ClusterNotReady",
		"Backup needs a Ready cluster, and orders is not reporting a phase yet; repair it with HorizontalScaling, RebuildInstance, Restart, VerticalScaling",
	)}
}

test_repair_operations_work_on_a_failed_cluster if {
	count(_on({"type": "Restart"}, _failed)) == 0
	count(_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 5}}, _failed)) == 0
	count(_on({"type": "VerticalScaling", "verticalScaling": {"resources": {"limits": {"memory": "8Gi"}}}}, _failed)) == 0
	count(_on({"type": "RebuildInstance", "rebuildInstance": {"instance": "orders-3"}}, _failed)) == 0
	count(_on({"type": "Start"}, {"status": {"phase": "Stopped"}})) == 0
	count(_on({"type": "Restore", "restore": {"backupName": "b1"}}, _failed)) == 0
}

test_not_ready_hint_without_repairs if {
	vs := ops.violation with input as object.union(_input({"type": "Backup"}, _failed), {"engine": {"operations": ["Backup"]}})
	vs == {_v("spec.type", "ClusterNotReady", "Backup needs a Ready cluster, and orders is Failed; wait until it recovers")}
}

test_engine_without_data_is_refused if {
	vs := ops.violation with input as _input({"type": "Restart"}, {"spec": {"engine": "redis"}})
	vs == {_v("spec.type", "EngineUnknown", "engine redis has no policy data")}
}

_kafka(spec) := object.union(
	_input(spec, {"spec": {"engine": "kafka"}, "status": {"primary": "", "members": [{"name": "k-0", "role": "broker"}]}}),
	{"engine": {"name": "kafka", "operations": ["Restart", "Backup", "HorizontalScaling"]}},
)

test_kafka_refuses_what_strimzi_cannot_do if {
	sw := ops.violation with input as _kafka({"type": "Switchover"})
	sw == {_v("spec.type", "OperationUnsupported", "Kafka has no primary: Switchover is not supported; supported operations: HorizontalScaling, Restart")}
	bk := ops.violation with input as _kafka({"type": "Backup"})
	bk == {_v("spec.type", "OperationUnsupported", "Strimzi has no backups: Backup is not supported; supported operations: HorizontalScaling, Restart")}
	rs := ops.violation with input as _kafka({"type": "Restore", "restore": {"backupName": "b"}})
	rs == {_v("spec.type", "OperationUnsupported", "Strimzi has no backups: Restore is not supported; supported operations: HorizontalScaling, Restart")}
}

test_rotate_credentials_on_a_ready_cluster if {
	count(_violations({"type": "RotateCredentials"})) == 0
}

test_rotate_credentials_needs_a_ready_cluster if {
	_on({"type": "RotateCredentials"}, {"status": {"phase": "Updating"}}) == {_v(
		"spec.type", "ClusterNotReady",
		"RotateCredentials needs a Ready cluster, and orders is Updating; repair it with HorizontalScaling, RebuildInstance, Restart, VerticalScaling",
	)}
}

test_kafka_rotates_credentials if {
	vs := ops.violation with input as object.union(
		_kafka({"type": "RotateCredentials"}),
		{"engine": {"operations": ["Restart", "HorizontalScaling", "RotateCredentials"]}},
	)
	count(vs) == 0
}
