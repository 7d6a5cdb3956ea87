package dbaas.ops

import data.dbaas.lib

_new_config := object.get(_ops, ["reconfiguring", "config"], [])

_folding := _index.folding

_new_keys := {k | some k in lib.config_keys(_index, _new_config)}

# _merged is spec.config as the operation leaves it: the engine's Reconfiguring decides
# how the new parameters merge into the cluster's (input.specPatch.config, which the
# operator computes with the engine), so the rules judge the config the engine would
# write. Without it, only the new parameters are judged.
_merged := object.get(input, ["specPatch", "config"], _new_config)

# METADATA
# title: Reconfiguring parameters
# description: >-
#   The cluster's config rules over the config as the engine's Reconfiguring leaves it;
#   only findings about a parameter the operation sets count, reported on that parameter.
violation contains lib.violation(sprintf("spec.reconfiguring.config[%s]", [name]), f.reason, f.msg) if {
	input.ops.spec.type == "Reconfiguring"
	not _unsupported
	not lib.config_plain(_index, _merged, _size) # plain parameters, no finding: skip the context
	some f in lib.config_findings_in(_index, _merged, _config_ctx(_size))
	names := [n | some n in f.names; lib.fold(_folding, n) in _new_keys]
	name := names[0]
}
