# METADATA
# title: Shared helpers of the dbaas policies
# description: >-
#   Unit parsers and the rule families that both the cluster gate
#   (dbaas.cluster) and the ops gate (dbaas.ops) apply. Helpers take their inputs as
#   arguments and never read input, so each gate decides what it passes.
package dbaas.lib

# METADATA
# title: Violation
# description: Builds one finding of the output contract shared by every gate.
violation(field, reason, msg) := {"field": field, "reason": reason, "msg": msg}

# METADATA
# title: Cluster size
# description: spec.clusterSize, or the engine's default when it is absent.
cluster_size(spec, e) := object.get(spec, "clusterSize", object.get(e, ["cluster", "defaultClusterSize"], 1))
