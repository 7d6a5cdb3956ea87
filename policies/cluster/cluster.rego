# METADATA
# title: DatabaseCluster gate
# description: >-
#   Decides whether a DatabaseCluster may be applied. The webhook runs it at admission and
#   the controller before it applies the rendered children. Input:
#   {"cluster": DatabaseCluster, "engine": {"name", "versions"}, "rendered": [objects],
#   "namespace": {"name", "labels"}}. Output: the set violation of
#   {"field", "reason", "msg"}; empty means allowed.
package dbaas.cluster

import data.dbaas.lib

_spec := object.get(input.cluster, "spec", {})

_engine := object.get(_spec, "engine", input.engine.name)

# _index is the engine's data prepared once per load (see lib.engine_indexes).
_index := lib.engine_indexes[_engine]

_limits := _index.cluster[0]

# _size is lib.cluster_size with the engine's default from its index.
_size := object.get(_spec, "clusterSize", _index.defaultClusterSize)

_namespace := object.get(input, ["namespace", "name"], object.get(input.cluster, ["metadata", "namespace"], ""))

_labels := object.get(input, ["namespace", "labels"], {})

_tenancy := data.dbaas.tenancy

# _tier is lib.tier with its limits prepared once per load (see lib.tier_indexes).
_tier := {"name": name, "limits": lib.tier_indexes[name]} if {
	name := lib.tier_name(_tenancy, _labels)
}

default _tier_limits := {}

_tier_limits := _tier.limits

_resources := object.get(_spec, "resources", {})

# _bounds are the engine's bounds capped by the tier's limits (see lib.bounds_indexes).
_bounds := b if {
	b := lib.bounds_indexes[_engine].tiers[lib.tier_name(_tenancy, _labels)]
} else := lib.bounds_indexes[_engine].none

# _within_limits holds when the size, storage and resources rules (and those of the
# tier) cannot find anything: they start with not _within_limits, so a cluster within
# its limits costs one pass over its numbers.
_within_limits if lib.within_limits(_bounds, _size, _spec.storage.size, _resources)

_config_ctx := lib.config_context(
	_engine, _size, _spec, _tenancy, _tier_limits, _namespace,
	object.get(input.cluster, ["metadata", "annotations"], {}),
)

# METADATA
# title: Engine without policy data
# description: Refuses an engine with no data under data.dbaas.engines, so a new engine fails closed.
violation contains lib.violation("spec.engine", "EngineUnknown", msg) if {
	not data.dbaas.engines[_engine]
	engines := concat(", ", sort(object.keys(data.dbaas.engines)))
	msg := sprintf("engine %s has no policy data; engines with data: %s", [_engine, engines])
}

# METADATA
# title: Config parameters
# description: >-
#   spec.config against the engine's allow-list, fixed parameters, value types and ranges
#   and cross-parameter rules (see lib.config_findings).
violation contains lib.violation(sprintf("spec.config[%s]", [f.names[0]]), f.reason, f.msg) if {
	cfg := object.get(_spec, "config", [])
	count(cfg) > 0 # no config, no finding
	not lib.config_plain(_index, cfg, _size) # plain parameters, no finding: skip the context
	some f in lib.config_findings_in(_index, cfg, _config_ctx)
}

# METADATA
# title: Cluster size bounds
# description: spec.clusterSize within the engine's bounds, odd where the engine needs a majority.
violation contains v if {
	not _within_limits
	some v in lib.cluster_size_violations_in(_limits, _engine, _size, "spec.clusterSize")
}

# METADATA
# title: Storage bounds
# description: spec.storage.size within the engine's bounds.
violation contains v if {
	not _within_limits
	some v in lib.storage_violations_in(_limits, _engine, _spec.storage.size, "spec.storage.size")
}

# METADATA
# title: Resources bounds
# description: spec.resources within the engine's cpu and memory bounds, requests not above limits.
violation contains v if {
	not _within_limits
	some v in lib.resources_violations_in(_limits, _engine, _resources, "spec.resources")
}

# METADATA
# title: Unsupported features
# description: Refuses spec fields the engine's child operator cannot honour (Kafka backups).
violation contains lib.violation(sprintf("spec.%s", [path]), "FeatureUnsupported", msg) if {
	some path, why in _index.unsupportedFeatures
	not object.get(_spec, split(path, "."), null) in {null, false}
	msg := sprintf("%s: spec.%s is not supported for %s", [why, path, _engine])
}
