package dbaas.ops

import data.dbaas.lib

_new_config := object.get(_ops, ["reconfiguring", "config"], [])

_folding := _index.folding

_new_keys := {k | some k in lib.config_keys(_index, _new_config)}

# _merged is spec.config after the operation: its parameters replace those of the same name.
_merged := lib.merged_config(_index, object.get(_spec, "config", []), _new_config)

# METADATA
# title: Reconfiguring parameters
# description: >-
#   The cluster's config rules over the config as the operation leaves it; only findings
#   about a parameter the operation sets count, reported on that parameter.
violation contains lib.violation(sprintf("spec.reconfiguring.config[%s]", [name]), f.reason, f.msg) if {
	input.ops.spec.type == "Reconfiguring"
	not _unsupported
	not lib.config_plain(_index, _merged, _size) # plain parameters, no finding: skip the context
	some f in lib.config_findings_in(_index, _merged, _config_ctx(_size))
	names := [n | some n in f.names; lib.fold(_folding, n) in _new_keys]
	name := names[0]
}
