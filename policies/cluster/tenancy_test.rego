package dbaas.cluster_test

import data.dbaas.cluster

test_tier_follows_the_namespace_label if {
	spec := {"clusterSize": 5, "resources": {"limits": {"cpu": "8", "memory": "32Gi"}}}
	cluster.violation == {
		_v("spec.clusterSize", "TierLimitExceeded", "clusterSize 5 exceeds the limit of tier small (3)"),
		_v("spec.resources.limits.cpu", "TierLimitExceeded", "resources.limits.cpu 8 exceeds the limit of tier small (4)"),
		_v("spec.resources.limits.memory", "TierLimitExceeded", "resources.limits.memory 32Gi exceeds the limit of tier small (16Gi)"),
	} with input as _input_in({"spec": spec}, {"dbaas.io/tier": "small"})
	count(cluster.violation) == 0 with input as _input_in({"spec": spec}, {"dbaas.io/tier": "large"})
}

test_unknown_tier_is_refused if {
	cluster.violation == {_v("metadata.namespace", "TierUnknown", "namespace label dbaas.io/tier=gold names no tier; tiers are large, small, standard")} with input as _input_in({}, {"dbaas.io/tier": "gold"})
}
