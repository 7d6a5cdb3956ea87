package dbaas.ops_test

_upgrade(v) := _violations({"type": "Upgrade", "upgrade": {"version": v}})

test_upgrade_to_a_newer_catalog_version if {
	count(_upgrade("17")) == 0
}

test_upgrade_target_must_be_in_the_catalog if {
	_upgrade("18") == {_v("spec.upgrade.version", "VersionUnknown", "version 18 is not in the postgresql catalog; versions: 16, 17")}
}

test_unknown_target_is_not_also_a_downgrade if {
	_on({"type": "Upgrade", "upgrade": {"version": "13"}}, {"status": {"version": "17"}}) == {_v(
		"spec.upgrade.version", "VersionUnknown",
		"version 13 is not in the postgresql catalog; versions: 16, 17",
	)}
}

test_upgrade_refuses_downgrades if {
	_on({"type": "Upgrade", "upgrade": {"version": "16"}}, {"status": {"version": "17"}}) == {_v(
		"spec.upgrade.version", "VersionDowngrade",
		"cannot downgrade postgresql from 17 to 16",
	)}
}

test_upgrade_refuses_the_running_version if {
	_upgrade("16") == {_v("spec.upgrade.version", "VersionUnchanged", "the cluster already runs postgresql 16")}
}

test_upgrade_reads_the_spec_version_before_status if {
	_on({"type": "Upgrade", "upgrade": {"version": "16"}}, {"spec": {"version": "17"}, "status": {"version": ""}}) == {_v(
		"spec.upgrade.version", "VersionDowngrade",
		"cannot downgrade postgresql from 17 to 16",
	)}
}

test_upgrade_within_a_line_is_no_downgrade if {
	count(_on({"type": "Upgrade", "upgrade": {"version": "16"}}, {"status": {"version": "16.4"}})) == 0
}
