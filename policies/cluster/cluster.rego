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

_e := data.dbaas.engines[_engine]

_limits := _e.cluster

_size := lib.cluster_size(_spec, _e)

_namespace := object.get(input, ["namespace", "name"], object.get(input.cluster, ["metadata", "namespace"], ""))

_labels := object.get(input, ["namespace", "labels"], {})

_tenancy := data.dbaas.tenancy

_tier := lib.tier(_tenancy, _labels)

default _tier_limits := {}

_tier_limits := _tier.limits

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
# title: Version in catalog
# description: spec.version must be a version of the engine's catalog.
violation contains lib.violation("spec.version", "VersionUnknown", msg) if {
	v := _spec.version
	versions := object.get(input.engine, "versions", [])
	not v in versions
	msg := sprintf("version %s is not in the %s catalog; versions: %s", [v, _engine, concat(", ", versions)])
}

# METADATA
# title: Config parameters
# description: >-
#   spec.config against the engine's allow-list, fixed parameters, value types and ranges
#   and cross-parameter rules (see lib.config_findings).
violation contains lib.violation(sprintf("spec.config[%s]", [f.names[0]]), f.reason, f.msg) if {
	some f in lib.config_findings(_e, object.get(_spec, "config", []), _config_ctx)
}

# METADATA
# title: Cluster size bounds
# description: spec.clusterSize within the engine's bounds, odd where the engine needs a majority.
violation contains v if {
	some v in lib.cluster_size_violations(_limits, _engine, _size, "spec.clusterSize")
}

# METADATA
# title: Storage bounds
# description: spec.storage.size within the engine's bounds.
violation contains v if {
	some v in lib.storage_violations(_limits, _engine, _spec.storage.size, "spec.storage.size")
}

# METADATA
# title: Resources bounds
# description: spec.resources within the engine's cpu and memory bounds, requests not above limits.
violation contains v if {
	some v in lib.resources_violations(_limits, _engine, object.get(_spec, "resources", {}), "spec.resources")
}

# METADATA
# title: Unsupported features
# description: Refuses spec fields the engine's child operator cannot honour (Kafka backups).
violation contains lib.violation(sprintf("spec.%s", [path]), "FeatureUnsupported", msg) if {
	some path, why in object.get(_e, "unsupportedFeatures", {})
	not object.get(_spec, split(path, "."), null) in {null, false}
	msg := sprintf("%s: spec.%s is not supported for %s", [why, path, _engine])
}
