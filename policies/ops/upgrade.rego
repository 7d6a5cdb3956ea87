package dbaas.ops

import data.dbaas.lib

_target := _ops.upgrade.version

_versions := object.get(input.engine, "versions", [])

# _running is the version the cluster runs (status), else the one it asks for (spec).
_running := v if {
	v := _status.version
	v != ""
} else := object.get(_spec, "version", "")

# METADATA
# title: Upgrade target in catalog
# description: The target version must be in the engine's catalog.
violation contains lib.violation("spec.upgrade.version", "VersionUnknown", msg) if {
	input.ops.spec.type == "Upgrade"
	not _unsupported
	not _target in _versions
	msg := sprintf("version %s is not in the %s catalog; versions: %s", [_target, _engine, concat(", ", _versions)])
}

# METADATA
# title: No downgrade
# description: >-
#   A catalog target must not be older than the running version, comparing the numeric parts
#   both spell ("16" and "16.4" are the same line, not a downgrade).
violation contains lib.violation("spec.upgrade.version", "VersionDowngrade", msg) if {
	input.ops.spec.type == "Upgrade"
	not _unsupported
	_target in _versions
	_running != ""
	lib.version_older(_target, _running)
	msg := sprintf("cannot downgrade %s from %s to %s", [_engine, _running, _target])
}

# METADATA
# title: Upgrade changes the version
# description: An upgrade to the version already running does nothing.
violation contains lib.violation("spec.upgrade.version", "VersionUnchanged", msg) if {
	input.ops.spec.type == "Upgrade"
	not _unsupported
	_target in _versions
	_running != ""
	lib.version_compare(_target, _running) == 0
	msg := sprintf("the cluster already runs %s %s", [_engine, _running])
}
