package dbaas.cluster_test

import data.dbaas.cluster

# Rules of the shipped mongodb, mysql and kafka data.

_mongodb := {"engine": "mongodb", "version": "7.0", "resources": {}}

_mysql := {"engine": "mysql", "version": "8.4", "resources": {}}

_kafka := {"engine": "kafka", "version": "3.9.0", "resources": {}}

test_replica_sets_need_odd_sizes if {
	_violations(object.union(_mongodb, {"clusterSize": 4})) == {_v(
		"spec.clusterSize", "ClusterSizeEven",
		"clusterSize must be odd for mongodb (1, 3, 5, ...): a replica set needs an odd number of members to elect a primary, got 4",
	)}
	count(_violations(object.union(_mongodb, {"clusterSize": 1}))) == 0
	count(_violations(object.union(_mongodb, {"clusterSize": 5}))) == 0
}

test_galera_needs_odd_sizes if {
	_violations(object.union(_mysql, {"clusterSize": 2})) == {_v(
		"spec.clusterSize", "ClusterSizeEven",
		"clusterSize must be odd for mysql (1, 3, 5, ...): Galera needs an odd number of nodes for quorum, got 2",
	)}
	count(_violations(object.union(_mysql, {"clusterSize": 1}))) == 0
}

test_mongodb_parameters if {
	count(_violations(object.union(_mongodb, {"config": [
		{"name": "operationProfiling.mode", "value": "slowOp"},
		{"name": "storage.wiredTiger.engineConfig.cacheSizeGB", "value": "0.5"},
	]}))) == 0
	_violations(object.union(_mongodb, {"config": [{"name": "net.tls.mode", "value": "disabled"}]})) == {_v(
		"spec.config[net.tls.mode]", "ParameterFixed",
		"net.tls.mode cannot be set: the Percona Operator for MongoDB manages it; TLS uses the operator's certificates",
	)}
}

test_mysql_parameters_read_dashes_and_my_cnf_sizes if {
	count(_violations(object.union(_mysql, {"config": [
		{"name": "innodb-buffer-pool-size", "value": "1G"},
		{"name": "slow_query_log", "value": "ON"},
	]}))) == 0
	_violations(object.union(_mysql, {"config": [{"name": "innodb_buffer_pool_size", "value": "64M"}]})) == {_v(
		"spec.config[innodb_buffer_pool_size]", "ParameterOutOfRange",
		"innodb_buffer_pool_size must be between 128M and 1T, got 64M",
	)}
	_violations(object.union(_mysql, {"config": [{"name": "ssl_cipher", "value": "x"}]})) == {_v(
		"spec.config[ssl_cipher]", "ParameterFixed",
		"ssl_cipher cannot be set: the Percona Operator for MySQL manages it; TLS uses the operator's certificates",
	)}
}

test_kafka_replication_within_brokers if {
	_violations(object.union(_kafka, {"config": [{"name": "default.replication.factor", "value": "5"}]})) == {_v(
		"spec.config[default.replication.factor]", "ParameterConflict",
		"default.replication.factor (5) must not exceed clusterSize (3)",
	)}
	_violations(object.union(_kafka, {"config": [
		{"name": "default.replication.factor", "value": "3"},
		{"name": "min.insync.replicas", "value": "3"},
	]})) == {_v(
		"spec.config[min.insync.replicas]", "ParameterConflict",
		"min.insync.replicas (3) must be less than default.replication.factor (3)",
	)}
	count(_violations(object.union(_kafka, {"config": [
		{"name": "default.replication.factor", "value": "3"},
		{"name": "min.insync.replicas", "value": "2"},
	]}))) == 0
}

test_single_broker_may_set_factors_to_one if {
	count(_violations(object.union(_kafka, {"clusterSize": 1, "config": [
		{"name": "default.replication.factor", "value": "1"},
		{"name": "min.insync.replicas", "value": "1"},
		{"name": "offsets.topic.replication.factor", "value": "1"},
	]}))) == 0
}

test_kafka_broker_settings_strimzi_manages if {
	_violations(object.union(_kafka, {"config": [{"name": "listeners", "value": "PLAINTEXT://:9092"}]})) == {_v(
		"spec.config[listeners]", "ParameterFixed",
		"listeners cannot be set: Strimzi manages it; listeners come from spec.proxy.expose",
	)}
	_violations(object.union(_kafka, {"config": [{"name": "ssl.keystore.location", "value": "/x"}]})) == {_v(
		"spec.config[ssl.keystore.location]", "ParameterFixed",
		"ssl.keystore.location cannot be set: Strimzi manages it; TLS uses the operator's certificates",
	)}
}

test_kafka_has_no_backups if {
	_violations(object.union(_kafka, {"backup": {"enabled": true}})) == {_v(
		"spec.backup.enabled", "FeatureUnsupported",
		"Strimzi has no backups: spec.backup.enabled is not supported for kafka",
	)}
	_violations(object.union(_kafka, {"dataSource": {"backup": {"name": "b"}}})) == {_v(
		"spec.dataSource", "FeatureUnsupported",
		"Strimzi has no backups to restore from: spec.dataSource is not supported for kafka",
	)}
	count(_violations(object.union(_kafka, {"backup": {"enabled": false}}))) == 0
}

test_kafka_refuses_access_without_acls if {
	want := {_v(
		"spec.config[allow.everyone.if.no.acl.found]", "ParameterInsecure",
		"allow.everyone.if.no.acl.found cannot be set: it would let every user do anything on the topics, groups and transactional IDs that no ACL covers; the application's KafkaUser has ACLs for all it needs",
	)}
	cfg := {"config": [{"name": "allow.everyone.if.no.acl.found", "value": "true"}]}
	_violations(object.union(_kafka, cfg)) == want

	# Unsafe config lets unknown parameters through, never this one.
	patch := {"metadata": {"annotations": {"dbaas.io/unsafe-config": "true"}}, "spec": object.union(_kafka, cfg)}
	cluster.violation == want with input as _input_in(patch, {})
		with data.dbaas.tenancy.unsafe_config_namespaces as ["shop"]
	count(cluster.violation) == 0 with input as _input_in(
		{"metadata": patch.metadata, "spec": object.union(_kafka, {"config": [{"name": "log.flush.interval.messages", "value": "1000"}]})},
		{},
	)
		with data.dbaas.tenancy.unsafe_config_namespaces as ["shop"]
}

test_kafka_authentication_is_managed if {
	_violations(object.union(_kafka, {"config": [{"name": "sasl.enabled.mechanisms", "value": "PLAIN"}]})) == {_v(
		"spec.config[sasl.enabled.mechanisms]", "ParameterFixed",
		"sasl.enabled.mechanisms cannot be set: Strimzi manages it; authentication is managed by the operator",
	)}
	_violations(object.union(_kafka, {"config": [{"name": "super.users", "value": "User:ANONYMOUS"}]})) == {_v(
		"spec.config[super.users]", "ParameterFixed",
		"super.users cannot be set: Strimzi manages it",
	)}
}
