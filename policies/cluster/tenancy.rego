package dbaas.cluster

import data.dbaas.lib

# METADATA
# title: Namespace tier known
# description: The namespace's tier label must name a tier of data.dbaas.tenancy.
violation contains v if {
	not _tenancy.tiers[lib.tier_name(_tenancy, _labels)] # a known tier, nothing to explain
	some v in lib.unknown_tier_violations(_tenancy, _labels)
}

# METADATA
# title: Tier limits
# description: clusterSize, storage and resources within the limits of the namespace's tier.
violation contains v if {
	not _within_limits
	some v in lib.tier_cluster_size_violations(_tier, _size, "spec.clusterSize")
}

violation contains v if {
	not _within_limits
	some v in lib.tier_storage_violations_in(_tier, _spec.storage.size, "spec.storage.size")
}

violation contains v if {
	not _within_limits
	some v in lib.tier_resources_violations_in(_tier, _resources, "spec.resources")
}
