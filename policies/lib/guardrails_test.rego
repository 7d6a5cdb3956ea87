package dbaas.lib_test

import data.dbaas.lib

_limits := {
	"clusterSize": {"min": 1, "max": 7},
	"oddClusterSize": "a majority needs it",
	"storage": {"min": "1Gi", "max": "1Ti"},
	"cpu": {"min": "250m", "max": "8"},
	"memory": {"min": "512Mi", "max": "32Gi"},
}

_v(field, reason, msg) := {"field": field, "reason": reason, "msg": msg}

test_cluster_size_bounds if {
	lib.cluster_size_violations(_limits, "db", 9, "spec.clusterSize") == {_v("spec.clusterSize", "ClusterSizeOutOfRange", "clusterSize must be between 1 and 7 for db, got 9")}
	lib.cluster_size_violations(_limits, "db", 0, "spec.horizontalScaling.replicas") == {
		_v("spec.horizontalScaling.replicas", "ClusterSizeOutOfRange", "horizontalScaling.replicas must be at least 1, got 0"),
		_v("spec.horizontalScaling.replicas", "ClusterSizeEven", "horizontalScaling.replicas must be odd for db (1, 3, 5, ...): a majority needs it, got 0"),
	}
	count(lib.cluster_size_violations(_limits, "db", 5, "spec.clusterSize")) == 0
}

test_cluster_size_odd_only_when_the_engine_says_so if {
	lib.cluster_size_violations(_limits, "db", 4, "spec.clusterSize") == {_v("spec.clusterSize", "ClusterSizeEven", "clusterSize must be odd for db (1, 3, 5, ...): a majority needs it, got 4")}
	count(lib.cluster_size_violations({"clusterSize": {"min": 1, "max": 7}}, "db", 4, "spec.clusterSize")) == 0
}

test_cluster_size_defaults if {
	lib.cluster_size({}, {}) == 1
	lib.cluster_size({}, {"cluster": {"defaultClusterSize": 3}}) == 3
	lib.cluster_size({"clusterSize": 5}, {"cluster": {"defaultClusterSize": 3}}) == 5
}

test_storage_bounds if {
	lib.storage_violations(_limits, "db", "2Ti", "spec.storage.size") == {_v("spec.storage.size", "StorageOutOfRange", "storage.size must be between 1Gi and 1Ti for db, got 2Ti")}
	lib.storage_violations(_limits, "db", "500Mi", "spec.storage.size") == {_v("spec.storage.size", "StorageOutOfRange", "storage.size must be between 1Gi and 1Ti for db, got 500Mi")}
	count(lib.storage_violations(_limits, "db", "1Ti", "spec.storage.size")) == 0
}

test_resources_bounds if {
	res := {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"cpu": "16", "memory": "1Gi"}}
	lib.resources_violations(_limits, "db", res, "spec.resources") == {
		_v("spec.resources.requests.cpu", "ResourcesOutOfRange", "resources.requests.cpu must be between 250m and 8 for db, got 100m"),
		_v("spec.resources.limits.cpu", "ResourcesOutOfRange", "resources.limits.cpu must be between 250m and 8 for db, got 16"),
	}
}

test_requests_must_not_exceed_limits if {
	res := {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
	lib.resources_violations(_limits, "db", res, "spec.resources") == {_v(
		"spec.resources.requests.memory", "RequestsExceedLimits",
		"resources.requests.memory (8Gi) must not exceed resources.limits.memory (4Gi)",
	)}
	count(lib.resources_violations(_limits, "db", {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}, "spec.resources")) == 0
	count(lib.resources_violations(_limits, "db", {}, "spec.resources")) == 0
}
