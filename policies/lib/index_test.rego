package dbaas.lib_test

import data.dbaas.lib

# Tests of the indexes and screens that keep decisions fast: each screen may only say
# "nothing to find" when the rules would find nothing. They reuse _engine, _limits and
# _tenancy of the other lib tests.

_index := lib.engine_index(_engine)

_plain(cfg) := lib.config_plain(_index, cfg, 3)

test_engine_index_lanes_hold_checkable_parameters if {
	_index.lanes.number.conns == {"min": 10, "max": 100, "syntax": `^-?[0-9]+$`}
	_index.lanes.unit.buffers.min == 131072
	_index.lanes.unit.buffers.units[""] == 8192
	_index.lanes.enum.mode.accepted == {"fast", "safe"}
	_index.lanes.string.zone == {"maxLength": 4096, "pattern": "^[A-Z]+$"}

	# fixed and type-less parameters are left to the rules
	not _index.lanes.number.port
	not _index.lanes.enum.odd
	_index.defaults == {"low": 83886080, "high": 1073741824}
}

test_valid_configs_are_plain if {
	_plain([
		{"name": "conns", "value": "50"},
		{"name": "Ratio", "value": "0.5"},
		{"name": "flag", "value": "ON"},
		{"name": "mode", "value": "Safe"},
		{"name": "buffers", "value": "16384"},
		{"name": "low", "value": "100MB"},
		{"name": "high", "value": "2GB"},
		{"name": "zone", "value": "UTC"},
		{"name": "factor", "value": "3"},
	])
}

test_configs_with_findings_are_not_plain if {
	not _plain([{"name": "conns", "value": "5"}]) # out of range
	not _plain([{"name": "conns", "value": "many"}]) # invalid
	not _plain([{"name": "port", "value": "1"}]) # fixed
	not _plain([{"name": "foo", "value": "1"}]) # unknown
	not _plain([{"name": "conns", "value": "50"}, {"name": "Conns", "value": "50"}]) # duplicate
	not _plain([{"name": "low", "value": "2GB"}]) # above the default of high
	not _plain([{"name": "low", "value": "512MB"}, {"name": "high", "value": "256MB"}]) # unordered pair
	not _plain([{"name": "factor", "value": "4"}]) # above clusterSize
	not _plain([{"name": "factor", "value": "2"}, {"name": "isr", "value": "2"}]) # unordered, no default
	not _plain([{"name": "mode", "value": "minimal"}]) # standalone only
	not _plain([{"name": "timeout", "value": 5}]) # a number: the rules read it
}

test_a_parameter_paired_with_a_problem_is_explained if {
	# high is fine on its own, but low is out of range: the order rule must see both
	lib.config_findings(_engine, [{"name": "high", "value": "64MB"}, {"name": "low", "value": "2TB"}], _ctx) == {
		_f(["low"], "ParameterOutOfRange", "low must be between 32MB and 1TB, got 2TB"),
		_f(["low", "high"], "ParameterConflict", "low (2TB) must be less than high (64MB)"),
	}
}

test_config_keys_fold_names if {
	lib.config_keys(_index, [{"name": "Max-Conns", "value": "1"}]) == {0: "max_conns"}
}

_caps := lib.tier_limits_index(_tenancy.tiers.small).caps

_bounds := lib.limits_index(_limits)

test_limits_index_holds_numbers if {
	_bounds.storage.minNumber == [1073741824]
	_bounds.cpu.lo == 0.25
	_bounds.oddRemainder == 1
	lib.limits_index({"cpu": {"min": "lots", "max": "8"}}).cpu.lo == null
	_caps == {"clusterSize": 3, "storage": 107374182400, "cpu": 4, "memory": 17179869184}
}

# _small are the bounds of _limits in the small tier of _tenancy.
_small := lib._capped(_bounds, _caps)

test_bounds_cap_the_engine_by_the_tier if {
	_small.clusterSize == {"lo": 1, "hi": 3}
	_small.storage == {"lo": 1073741824, "hi": 107374182400}
	_small.cpu == {"lo": 0.25, "hi": 4}
	lib._capped(_bounds, lib._no_caps).cpu == {"lo": 0.25, "hi": 8}
	lib.bounds_indexes.postgresql.tiers.small.clusterSize == {"lo": 1, "hi": 3}
	lib.bounds_indexes.postgresql.none.clusterSize == {"lo": 1, "hi": 9}
}

test_within_limits if {
	res := {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
	lib.within_limits(_small, 3, "20Gi", res)
	lib.within_limits(_small, 1, "1Gi", {})
	not lib.within_limits(_small, 2, "20Gi", res) # even
	not lib.within_limits(_small, 5, "20Gi", res) # above the tier
	not lib.within_limits(_small, 3, "200Gi", res) # above the tier's storage
	not lib.within_limits(_small, 3, "20GB", res) # not a quantity
	not lib.within_limits(_small, 3, "20Gi", {"requests": {"cpu": "3"}, "limits": {"cpu": "2"}})
	not lib.within_limits(_small, 3, "20Gi", {"requests": {"cpu": 1}}) # a number: the rules read it
	not lib.within_limits(_small, 3, "20Gi", {"limits": {"ephemeral-storage": "1Gi"}})
}
