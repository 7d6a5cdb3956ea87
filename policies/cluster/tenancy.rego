package dbaas.cluster

import data.dbaas.lib

# METADATA
# title: Namespace tier known
# description: The namespace's tier label must name a tier of data.dbaas.tenancy.
violation contains v if {
	some v in lib.unknown_tier_violations(_tenancy, _labels)
}

# METADATA
# title: Tier limits
# description: clusterSize, storage and resources within the limits of the namespace's tier.
violation contains v if {
	some v in lib.tier_cluster_size_violations(_tier, _size, "spec.clusterSize")
}

violation contains v if {
	some v in lib.tier_storage_violations(_tier, _spec.storage.size, "spec.storage.size")
}

violation contains v if {
	some v in lib.tier_resources_violations(_tier, object.get(_spec, "resources", {}), "spec.resources")
}
