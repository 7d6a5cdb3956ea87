package dbaas.ops

import data.dbaas.lib

_new_config := object.get(_ops, ["reconfiguring", "config"], [])

_folding := lib.name_folding(_e)

_new_keys := {lib.fold(_folding, p.name) | some p in _new_config}

# _merged is spec.config after the operation: its parameters replace those of the same name.
_merged := array.concat(
	[p | some p in object.get(_spec, "config", []); not lib.fold(_folding, p.name) in _new_keys],
	_new_config,
)

# METADATA
# title: Reconfiguring parameters
# description: >-
#   The cluster's config rules over the config as the operation leaves it; only findings
#   about a parameter the operation sets count, reported on that parameter.
violation contains lib.violation(sprintf("spec.reconfiguring.config[%s]", [name]), f.reason, f.msg) if {
	_is("Reconfiguring")
	some f in lib.config_findings(_e, _merged, _config_ctx(_size))
	names := [n | some n in f.names; lib.fold(_folding, n) in _new_keys]
	name := names[0]
}
