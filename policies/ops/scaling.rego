package dbaas.ops

import data.dbaas.lib

_replicas := _ops.horizontalScaling.replicas

# METADATA
# title: Horizontal scaling bounds
# description: The new size within the engine's bounds (odd where it needs a majority) and the tier's limit.
violation contains v if {
	input.ops.spec.type == "HorizontalScaling"
	not _unsupported
	some v in lib.cluster_size_violations_in(_limits, _engine, _replicas, "spec.horizontalScaling.replicas")
}

violation contains v if {
	input.ops.spec.type == "HorizontalScaling"
	not _unsupported
	some v in lib.tier_cluster_size_violations(_tier, _replicas, "spec.horizontalScaling.replicas")
}

# METADATA
# title: Horizontal scaling against config
# description: >-
#   Refuses a size that the cluster's config forbids (a Kafka replication factor above the
#   new number of brokers, wal_level=minimal with replicas): only findings the new size
#   adds count, not the ones the cluster already has.
violation contains lib.violation("spec.horizontalScaling.replicas", f.reason, msg) if {
	input.ops.spec.type == "HorizontalScaling"
	not _unsupported
	cfg := object.get(_spec, "config", [])
	now := lib.config_findings_in(_index, cfg, _config_ctx(_size))
	after := lib.config_findings_in(_index, cfg, _config_ctx(_replicas))
	some f in (after - now)
	msg := sprintf("cannot scale to %v: %s", [_replicas, f.msg])
}

# METADATA
# title: Vertical scaling bounds
# description: The new resources within the engine's bounds and the tier's limits, requests not above limits.
violation contains v if {
	input.ops.spec.type == "VerticalScaling"
	not _unsupported
	some v in lib.resources_violations_in(_limits, _engine, _ops.verticalScaling.resources, "spec.verticalScaling.resources")
}

violation contains v if {
	input.ops.spec.type == "VerticalScaling"
	not _unsupported
	some v in lib.tier_resources_violations_in(_tier, _ops.verticalScaling.resources, "spec.verticalScaling.resources")
}

_new_size := _ops.volumeExpansion.size

# METADATA
# title: Volumes only grow
# description: The new volume size must be larger than spec.storage.size.
violation contains lib.violation("spec.volumeExpansion.size", "VolumeNotLarger", msg) if {
	input.ops.spec.type == "VolumeExpansion"
	not _unsupported
	current := _spec.storage.size
	lib.quantity(_new_size) <= lib.quantity(current)
	msg := sprintf("volumeExpansion.size %v must be larger than the current storage.size %v: volumes can only grow", [_new_size, current])
}

# METADATA
# title: Volume expansion bounds
# description: The new volume size within the engine's bounds and the tier's limit.
violation contains v if {
	input.ops.spec.type == "VolumeExpansion"
	not _unsupported
	some v in lib.storage_violations_in(_limits, _engine, _new_size, "spec.volumeExpansion.size")
}

violation contains v if {
	input.ops.spec.type == "VolumeExpansion"
	not _unsupported
	some v in lib.tier_storage_violations_in(_tier, _new_size, "spec.volumeExpansion.size")
}
