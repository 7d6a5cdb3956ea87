package dbaas.cluster_test

import data.dbaas.cluster

# _cluster is a valid PostgreSQL cluster; each test patches its spec.
_cluster := {
	"metadata": {"name": "orders", "namespace": "shop"},
	"spec": {
		"engine": "postgresql",
		"version": "16",
		"clusterSize": 3,
		"storage": {"size": "20Gi"},
		"resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
	},
}

_engines := {
	"postgresql": {"name": "postgresql", "versions": ["16", "17"]},
	"mongodb": {"name": "mongodb", "versions": ["7.0", "8.0"]},
	"mysql": {"name": "mysql", "versions": ["8.0", "8.4"]},
	"kafka": {"name": "kafka", "versions": ["3.9.0", "4.0.0"]},
}

_input_in(patch, labels) := {
	"cluster": object.union(_cluster, patch),
	"engine": _engines[object.get(patch, ["spec", "engine"], "postgresql")],
	"rendered": [],
	"namespace": {"labels": labels},
}

# _violations evaluates the gate with spec patched, in a namespace of the default tier.
_violations(spec) := vs if {
	vs := cluster.violation with input as _input_in({"spec": spec}, {})
}

_v(field, reason, msg) := {"field": field, "reason": reason, "msg": msg}

_config(name, value) := _violations({"config": [{"name": name, "value": value}]})

test_sample_cluster_is_allowed if {
	count(_violations({})) == 0
}

test_allowed_parameters_pass if {
	count(_violations({"config": [
		{"name": "max_connections", "value": "300"},
		{"name": "shared_buffers", "value": "1GB"},
		{"name": "work_mem", "value": "16MB"},
		{"name": "maintenance_work_mem", "value": "256MB"},
		{"name": "effective_cache_size", "value": "3GB"},
		{"name": "max_wal_size", "value": "4GB"},
		{"name": "min_wal_size", "value": "1GB"},
		{"name": "wal_level", "value": "logical"},
		{"name": "log_min_duration_statement", "value": "250ms"},
		{"name": "log_statement", "value": "ddl"},
		{"name": "log_connections", "value": "on"},
		{"name": "log_lock_waits", "value": "true"},
		{"name": "log_temp_files", "value": "-1"},
		{"name": "log_line_prefix", "value": "%m [%p] %q%u@%d "},
		{"name": "statement_timeout", "value": "30s"},
		{"name": "idle_in_transaction_session_timeout", "value": "10min"},
		{"name": "random_page_cost", "value": "1.1"},
		{"name": "effective_io_concurrency", "value": "200"},
		{"name": "checkpoint_timeout", "value": "15min"},
		{"name": "checkpoint_completion_target", "value": "0.9"},
		{"name": "default_statistics_target", "value": "500"},
		{"name": "autovacuum_vacuum_scale_factor", "value": "0.05"},
		{"name": "autovacuum_naptime", "value": "30"},
		{"name": "max_parallel_workers", "value": "8"},
		{"name": "TimeZone", "value": "Europe/Paris"},
	]})) == 0
}

test_fixed_parameters_say_what_to_use_instead if {
	_config("shared_preload_libraries", "pg_cron") == {_v(
		"spec.config[shared_preload_libraries]", "ParameterFixed",
		"shared_preload_libraries cannot be set: CloudNativePG manages it; it preloads the libraries its features need",
	)}
	_config("ssl", "off") == {_v("spec.config[ssl]", "ParameterFixed", "ssl cannot be set: CloudNativePG manages it; TLS uses the operator's certificates")}
	_config("archive_command", "/bin/true") == {_v("spec.config[archive_command]", "ParameterFixed", "archive_command cannot be set: CloudNativePG manages it; use spec.backup")}
	_config("restore_command", "cp") == {_v("spec.config[restore_command]", "ParameterFixed", "restore_command cannot be set: CloudNativePG manages it; use spec.backup and spec.dataSource")}
	_config("cluster_name", "x") == {_v("spec.config[cluster_name]", "ParameterFixed", "cluster_name cannot be set: CloudNativePG manages it")}
}

# _cnpg_fixed is CloudNativePG's list of fixed parameters, kept apart from the data so a
# data edit that drops one fails here.
_cnpg_fixed := {
	"allow_alter_system", "allow_system_table_mods", "archive_cleanup_command", "archive_command",
	"archive_mode", "bonjour", "bonjour_name", "cluster_name", "config_file", "data_directory",
	"data_sync_retry", "event_source", "external_pid_file", "hba_file", "hot_standby", "ident_file",
	"jit_provider", "listen_addresses", "log_destination", "log_directory", "log_file_mode",
	"log_filename", "log_rotation_age", "log_rotation_size", "log_truncate_on_rotation",
	"logging_collector", "port", "primary_conninfo", "primary_slot_name", "promote_trigger_file",
	"recovery_end_command", "recovery_min_apply_delay", "recovery_target", "recovery_target_action",
	"recovery_target_inclusive", "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
	"recovery_target_timeline", "recovery_target_xid", "restart_after_crash", "restore_command",
	"shared_preload_libraries", "ssl", "ssl_ca_file", "ssl_cert_file", "ssl_crl_file",
	"ssl_dh_params_file", "ssl_key_file", "ssl_passphrase_command",
	"ssl_passphrase_command_supports_reload", "ssl_prefer_server_ciphers", "stats_temp_directory",
	"synchronous_standby_names", "syslog_facility", "syslog_ident", "syslog_sequence_numbers",
	"syslog_split_messages", "unix_socket_directories", "unix_socket_group",
	"unix_socket_permissions", "temp_tablespaces", "synchronized_standby_slots",
}

test_every_cloudnativepg_fixed_parameter_is_refused if {
	every name in _cnpg_fixed {
		[v] := [v | some v in _config(name, "x")]
		v.reason == "ParameterFixed"
		startswith(v.msg, sprintf("%s cannot be set: CloudNativePG manages it", [name]))
	}
}

test_fixed_parameters_are_refused_in_any_case if {
	_config("SSL", "on") == {_v("spec.config[SSL]", "ParameterFixed", "SSL cannot be set: CloudNativePG manages it; TLS uses the operator's certificates")}
}

test_unknown_parameters_are_refused if {
	_config("max_conections", "300") == {_v("spec.config[max_conections]", "ParameterUnknown", "max_conections is not a known postgresql parameter")}
}

test_unknown_parameters_pass_with_annotation_in_an_allowed_namespace if {
	patch := {"metadata": {"annotations": {"dbaas.io/unsafe-config": "true"}}, "spec": {"config": [{"name": "pg_foo.bar", "value": "1"}]}}
	count(cluster.violation) == 0 with input as _input_in(patch, {})
		with data.dbaas.tenancy.unsafe_config_namespaces as ["shop"]
	count(cluster.violation) == 0 with input as _input_in(patch, {"dbaas.io/tier": "large"})
}

test_unknown_parameters_need_the_namespace_to_allow_unsafe_config if {
	patch := {"metadata": {"annotations": {"dbaas.io/unsafe-config": "true"}}, "spec": {"config": [{"name": "pg_foo.bar", "value": "1"}]}}
	cluster.violation == {_v(
		"spec.config[pg_foo.bar]", "ParameterUnknown",
		"pg_foo.bar is not a known postgresql parameter; namespace shop may not use the dbaas.io/unsafe-config annotation",
	)} with input as _input_in(patch, {})
}

test_unsafe_config_needs_the_annotation if {
	patch := {"spec": {"config": [{"name": "pg_foo.bar", "value": "1"}]}}
	cluster.violation == {_v("spec.config[pg_foo.bar]", "ParameterUnknown", "pg_foo.bar is not a known postgresql parameter")} with input as _input_in(patch, {"dbaas.io/tier": "large"})
}

test_values_are_typed_and_bounded if {
	_config("max_connections", "lots") == {_v("spec.config[max_connections]", "ParameterInvalid", `max_connections must be an integer, got "lots"`)}
	_config("max_connections", "20000") == {_v("spec.config[max_connections]", "ParameterOutOfRange", "max_connections must be between 10 and 5000, got 20000")}
	_config("shared_buffers", "2TB") == {_v("spec.config[shared_buffers]", "ParameterOutOfRange", "shared_buffers must be between 128kB and 1TB, got 2TB")}
	_config("shared_buffers", "8") == {_v("spec.config[shared_buffers]", "ParameterOutOfRange", "shared_buffers must be between 128kB and 1TB, got 8")}
	_config("shared_buffers", "16") == set()
	_config("wal_level", "archive") == {_v("spec.config[wal_level]", "ParameterInvalid", `wal_level must be one of minimal, replica, logical, got "archive"`)}
	_config("log_min_duration_statement", "-5") == {_v(
		"spec.config[log_min_duration_statement]", "ParameterOutOfRange",
		"log_min_duration_statement must be between 0ms and 7d (or -1 to turn it off), got -5",
	)}
	_config("log_min_duration_statement", "-1") == set()
	_config("checkpoint_completion_target", "1.5") == {_v("spec.config[checkpoint_completion_target]", "ParameterOutOfRange", "checkpoint_completion_target must be between 0 and 1, got 1.5")}
	_config("statement_timeout", "5 minutes") == {_v(
		"spec.config[statement_timeout]", "ParameterInvalid",
		`statement_timeout must be a duration such as 30s (units us, ms, s, min, h, d), got "5 minutes"`,
	)}
}

test_min_wal_size_must_be_below_max_wal_size if {
	_config("min_wal_size", "2GB") == {_v("spec.config[min_wal_size]", "ParameterConflict", "min_wal_size (2GB) must be less than max_wal_size (1GB, the default)")}
	_config("max_wal_size", "64") == {_v("spec.config[max_wal_size]", "ParameterConflict", "min_wal_size (80MB, the default) must be less than max_wal_size (64)")}
	_violations({"config": [{"name": "min_wal_size", "value": "1024"}, {"name": "max_wal_size", "value": "1GB"}]}) == {_v(
		"spec.config[min_wal_size]", "ParameterConflict",
		"min_wal_size (1024) must be less than max_wal_size (1GB)",
	)}
	count(_violations({"config": [{"name": "min_wal_size", "value": "512MB"}, {"name": "max_wal_size", "value": "2GB"}]})) == 0
}

test_wal_level_minimal_needs_one_instance_and_no_backup if {
	_config("wal_level", "minimal") == {_v("spec.config[wal_level]", "ParameterConflict", "wal_level=minimal needs clusterSize 1 and backups disabled: clusterSize is 3")}
	single := {"clusterSize": null, "config": [{"name": "wal_level", "value": "minimal"}]}
	count(cluster.violation) == 0 with input as _input_in({"spec": single}, {})
		with input.cluster.spec as object.remove(object.union(_cluster.spec, single), ["clusterSize"])
	backup := {"clusterSize": 1, "backup": {"enabled": true}, "config": [{"name": "wal_level", "value": "minimal"}]}
	_violations(backup) == {_v("spec.config[wal_level]", "ParameterConflict", "wal_level=minimal needs clusterSize 1 and backups disabled: backups are enabled")}
}

test_cluster_size_within_engine_and_tier if {
	_violations({"clusterSize": 12}) == {
		_v("spec.clusterSize", "ClusterSizeOutOfRange", "clusterSize must be between 1 and 9 for postgresql, got 12"),
		_v("spec.clusterSize", "TierLimitExceeded", "clusterSize 12 exceeds the limit of tier standard (5)"),
	}
	count(_violations({"clusterSize": 5})) == 0
}

test_storage_within_engine_and_tier if {
	_violations({"storage": {"size": "20Ti"}}) == {
		_v("spec.storage.size", "StorageOutOfRange", "storage.size must be between 1Gi and 16Ti for postgresql, got 20Ti"),
		_v("spec.storage.size", "TierLimitExceeded", "storage.size 20Ti exceeds the limit of tier standard (1Ti)"),
	}
	_violations({"storage": {"size": "512Mi"}}) == {_v("spec.storage.size", "StorageOutOfRange", "storage.size must be between 1Gi and 16Ti for postgresql, got 512Mi")}
}

test_resources_within_bounds_and_requests_within_limits if {
	_violations({"resources": {"requests": {"cpu": "50m", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}) == {
		_v("spec.resources.requests.cpu", "ResourcesOutOfRange", "resources.requests.cpu must be between 100m and 64 for postgresql, got 50m"),
		_v("spec.resources.requests.memory", "RequestsExceedLimits", "resources.requests.memory (8Gi) must not exceed resources.limits.memory (4Gi)"),
	}
}

test_engine_without_data_is_refused if {
	cluster.violation == {_v("spec.engine", "EngineUnknown", "engine redis has no policy data; engines with data: kafka, mongodb, mysql, postgresql")} with input as {
		"cluster": object.union(_cluster, {"spec": {"engine": "redis"}}),
		"engine": {"name": "redis", "versions": ["16"]},
	}
}
