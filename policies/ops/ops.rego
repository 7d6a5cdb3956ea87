# METADATA
# title: OpsRequest gate
# description: >-
#   Decides whether an OpsRequest may run against its DatabaseCluster. The webhook runs it
#   at admission and the OpsRequest controller before it starts. Input:
#   {"ops": OpsRequest, "cluster": DatabaseCluster with status,
#   "engine": {"name", "versions", "operations"}, "namespace": {"name", "labels"},
#   "specPatch": the patch the engine's operation makes to the cluster's spec}.
#   Output: the set violation of {"field", "reason", "msg"}; empty means allowed.
package dbaas.ops

import data.dbaas.lib

_ops := input.ops.spec

_type := _ops.type

_cluster := object.get(input, "cluster", {})

_spec := object.get(_cluster, "spec", {})

_status := object.get(_cluster, "status", {})

_engine := object.get(_spec, "engine", input.engine.name)

# _index is the engine's data prepared once per load (see lib.engine_indexes).
_index := lib.engine_indexes[_engine]

_limits := _index.cluster[0]

# _size is lib.cluster_size with the engine's default from its index.
_size := object.get(_spec, "clusterSize", _index.defaultClusterSize)

_namespace := object.get(input, ["namespace", "name"], object.get(_cluster, ["metadata", "namespace"], ""))

_labels := object.get(input, ["namespace", "labels"], {})

_tenancy := data.dbaas.tenancy

# _tier is lib.tier with its limits prepared once per load (see lib.tier_indexes).
_tier := {"name": name, "limits": lib.tier_indexes[name]} if {
	name := lib.tier_name(_tenancy, _labels)
}

default _tier_limits := {}

_tier_limits := _tier.limits

_config_ctx(size) := lib.config_context(
	_engine, size, _spec, _tenancy, _tier_limits, _namespace,
	object.get(_cluster, ["metadata", "annotations"], {}),
)

_denied := _index.deniedOperations

_offered := object.get(input.engine, "operations", [])

_supported := sort({t | some t in _offered; not _denied[t]})

# _unsupported holds when the engine does not offer the operation's type. The rules of a
# type start with input.ops.spec.type == "<type>", which OPA indexes, so only the rules
# of the operation's type run; they add not _unsupported to stay quiet about an
# operation that is refused anyway.
_unsupported if not _type in _offered

_unsupported if _denied[_type]

# METADATA
# title: Engine without policy data
# description: Refuses operations on an engine with no data under data.dbaas.engines.
violation contains lib.violation("spec.type", "EngineUnknown", msg) if {
	not data.dbaas.engines[_engine]
	msg := sprintf("engine %s has no policy data", [_engine])
}

# METADATA
# title: Operation supported
# description: >-
#   The engine must offer the operation type (input.engine.operations) and its data must
#   not deny it; the message says why and lists what is supported.
violation contains lib.violation("spec.type", "OperationUnsupported", msg) if {
	_unsupported
	msg := sprintf("%s; supported operations: %s", [_unsupported_why, _supported_text])
}

_unsupported_why := sprintf("%s: %s is not supported", [_denied[_type], _type]) if {
	_denied[_type]
} else := sprintf("%s is not supported by engine %s", [_type, _engine])

_supported_text := concat(", ", _supported) if {
	count(_supported) > 0
} else := "none"

# METADATA
# title: Parameters present
# description: Each operation type needs its parameters object (horizontalScaling for HorizontalScaling...).
violation contains lib.violation(sprintf("spec.%s", [p]), "ParametersMissing", msg) if {
	p := data.dbaas.operations.parameters[_type]
	not _ops[p]
	msg := sprintf("type %s needs spec.%s", [_type, p])
}

# METADATA
# title: Ready precondition
# description: >-
#   Operations listed in data.dbaas.operations.requiresReady need a Ready cluster. Repair
#   operations, Start, Stop and Restore are not listed: they must work on a degraded or
#   failed cluster.
violation contains lib.violation("spec.type", "ClusterNotReady", msg) if {
	data.dbaas.operations.requiresReady[_type]
	not _unsupported
	_phase != "Ready"
	msg := sprintf("%s needs a Ready cluster, and %s is %s; %s", [_type, _cluster_name, _phase_text, _repair_hint])
}

_phase := object.get(_status, "phase", "")

_phase_text := _phase if {
	_phase != ""
} else := "not reporting a phase yet"

_cluster_name := object.get(_cluster, ["metadata", "name"], _ops.clusterRef)

_repairs := sort({t | some t, _ in data.dbaas.operations.repair; t in _offered; not _denied[t]})

_repair_hint := sprintf("repair it with %s", [concat(", ", _repairs)]) if {
	count(_repairs) > 0
} else := "wait until it recovers"
