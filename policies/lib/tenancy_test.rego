package dbaas.lib_test

import data.dbaas.lib

_tenancy := {
	"tier_label": "dbaas.io/tier",
	"default_tier": "small",
	"tiers": {
		"small": {"maxClusterSize": 3, "maxStorage": "100Gi", "maxCPU": "4", "maxMemory": "16Gi"},
		"large": {"maxClusterSize": 9, "maxStorage": "4Ti", "maxCPU": "32", "maxMemory": "256Gi", "allowUnsafeConfig": true},
	},
	"unsafe_config_namespaces": ["lab"],
}

test_tier_defaults_and_follows_the_label if {
	lib.tier(_tenancy, {}).name == "small"
	lib.tier(_tenancy, {"dbaas.io/tier": "large"}).name == "large"
	not lib.tier(_tenancy, {"dbaas.io/tier": "gold"})
}

test_unknown_tier_is_refused if {
	lib.unknown_tier_violations(_tenancy, {"dbaas.io/tier": "gold"}) == {{
		"field": "metadata.namespace", "reason": "TierUnknown",
		"msg": "namespace label dbaas.io/tier=gold names no tier; tiers are large, small",
	}}
	count(lib.unknown_tier_violations(_tenancy, {})) == 0
}

test_tier_limits if {
	t := lib.tier(_tenancy, {})
	lib.tier_cluster_size_violations(t, 5, "spec.clusterSize") == {_v("spec.clusterSize", "TierLimitExceeded", "clusterSize 5 exceeds the limit of tier small (3)")}
	count(lib.tier_cluster_size_violations(t, 3, "spec.clusterSize")) == 0
	lib.tier_storage_violations(t, "200Gi", "spec.storage.size") == {_v("spec.storage.size", "TierLimitExceeded", "storage.size 200Gi exceeds the limit of tier small (100Gi)")}
	count(lib.tier_storage_violations(t, "100Gi", "spec.storage.size")) == 0
	res := {"requests": {"cpu": "2", "memory": "32Gi"}, "limits": {"cpu": "8", "memory": "32Gi"}}
	lib.tier_resources_violations(t, res, "spec.resources") == {
		_v("spec.resources.requests.memory", "TierLimitExceeded", "resources.requests.memory 32Gi exceeds the limit of tier small (16Gi)"),
		_v("spec.resources.limits.cpu", "TierLimitExceeded", "resources.limits.cpu 8 exceeds the limit of tier small (4)"),
		_v("spec.resources.limits.memory", "TierLimitExceeded", "resources.limits.memory 32Gi exceeds the limit of tier small (16Gi)"),
	}
}

test_unsafe_config_needs_the_annotation_and_a_namespace_that_allows_it if {
	ann := {"dbaas.io/unsafe-config": "true"}
	small := _tenancy.tiers.small
	lib.unsafe_config(_tenancy, small, "lab", ann)
	lib.unsafe_config(_tenancy, _tenancy.tiers.large, "shop", ann)
	not lib.unsafe_config(_tenancy, small, "shop", ann)
	not lib.unsafe_config(_tenancy, small, "lab", {})
	not lib.unsafe_config(_tenancy, small, "lab", {"dbaas.io/unsafe-config": "yes"})
	lib.unsafe_refusal(_tenancy, small, "shop", ann) == "; namespace shop may not use the dbaas.io/unsafe-config annotation"
	lib.unsafe_refusal(_tenancy, small, "shop", {}) == ""
}
