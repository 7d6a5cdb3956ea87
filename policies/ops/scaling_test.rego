package dbaas.ops_test

import data.dbaas.ops

_scale(n) := _violations({"type": "HorizontalScaling", "horizontalScaling": {"replicas": n}})

test_horizontal_scaling_within_engine_and_tier if {
	count(_scale(5)) == 0
	_scale(0) == {_v("spec.horizontalScaling.replicas", "ClusterSizeOutOfRange", "horizontalScaling.replicas must be at least 1, got 0")}
	_scale(11) == {
		_v("spec.horizontalScaling.replicas", "ClusterSizeOutOfRange", "horizontalScaling.replicas must be between 1 and 9 for postgresql, got 11"),
		_v("spec.horizontalScaling.replicas", "TierLimitExceeded", "horizontalScaling.replicas 11 exceeds the limit of tier standard (5)"),
	}
}

test_horizontal_scaling_keeps_replica_sets_odd if {
	mongo := {"spec": {"engine": "mongodb"}}
	_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 4}}, mongo) == {_v(
		"spec.horizontalScaling.replicas", "ClusterSizeEven",
		"horizontalScaling.replicas must be odd for mongodb (1, 3, 5, ...): a replica set needs an odd number of members to elect a primary, got 4",
	)}
	count(_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 5}}, mongo)) == 0
}

test_horizontal_scaling_respects_the_config if {
	kafka := {"spec": {"engine": "kafka", "config": [{"name": "default.replication.factor", "value": "3"}]}}
	_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 2}}, kafka) == {_v(
		"spec.horizontalScaling.replicas", "ParameterConflict",
		"cannot scale to 2: default.replication.factor (3) must not exceed clusterSize (2)",
	)}
	minimal := {"spec": {"clusterSize": 1, "config": [{"name": "wal_level", "value": "minimal"}]}}
	_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 3}}, minimal) == {_v(
		"spec.horizontalScaling.replicas", "ParameterConflict",
		"cannot scale to 3: wal_level=minimal needs clusterSize 1 and backups disabled: clusterSize is 3",
	)}
}

test_horizontal_scaling_ignores_config_problems_it_does_not_cause if {
	broken := {"spec": {"config": [{"name": "ssl", "value": "on"}]}}
	count(_on({"type": "HorizontalScaling", "horizontalScaling": {"replicas": 5}}, broken)) == 0
}

test_vertical_scaling_within_bounds if {
	res := {"requests": {"cpu": "4", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "128Gi"}}
	_violations({"type": "VerticalScaling", "verticalScaling": {"resources": res}}) == {
		_v("spec.verticalScaling.resources.requests.cpu", "RequestsExceedLimits", "verticalScaling.resources.requests.cpu (4) must not exceed verticalScaling.resources.limits.cpu (2)"),
		_v("spec.verticalScaling.resources.limits.memory", "TierLimitExceeded", "verticalScaling.resources.limits.memory 128Gi exceeds the limit of tier standard (64Gi)"),
	}
	ok := {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
	count(_violations({"type": "VerticalScaling", "verticalScaling": {"resources": ok}})) == 0
}

test_volumes_only_grow if {
	count(_violations({"type": "VolumeExpansion", "volumeExpansion": {"size": "50Gi"}})) == 0
	_violations({"type": "VolumeExpansion", "volumeExpansion": {"size": "10Gi"}}) == {_v(
		"spec.volumeExpansion.size", "VolumeNotLarger",
		"volumeExpansion.size 10Gi must be larger than the current storage.size 20Gi: volumes can only grow",
	)}
	_violations({"type": "VolumeExpansion", "volumeExpansion": {"size": "20Gi"}}) == {_v(
		"spec.volumeExpansion.size", "VolumeNotLarger",
		"volumeExpansion.size 20Gi must be larger than the current storage.size 20Gi: volumes can only grow",
	)}
}

test_volume_expansion_within_engine_and_tier if {
	_violations({"type": "VolumeExpansion", "volumeExpansion": {"size": "2Ti"}}) == {_v(
		"spec.volumeExpansion.size", "TierLimitExceeded",
		"volumeExpansion.size 2Ti exceeds the limit of tier standard (1Ti)",
	)}
	large := object.union(
		_input({"type": "VolumeExpansion", "volumeExpansion": {"size": "20Ti"}}, {}),
		{"namespace": {"labels": {"dbaas.io/tier": "large"}}},
	)
	vs := ops.violation with input as large
	vs == {
		_v("spec.volumeExpansion.size", "StorageOutOfRange", "volumeExpansion.size must be between 1Gi and 16Ti for postgresql, got 20Ti"),
		_v("spec.volumeExpansion.size", "TierLimitExceeded", "volumeExpansion.size 20Ti exceeds the limit of tier large (16Ti)"),
	}
}
