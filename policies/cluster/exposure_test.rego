package dbaas.cluster_test

test_external_exposure_needs_source_ranges if {
	_violations({"proxy": {"enabled": true, "expose": {"type": "external"}}}) == {_v(
		"spec.proxy.expose.ipSourceRanges", "ExposureUnrestricted",
		"external exposure needs ipSourceRanges: list the CIDRs allowed to connect",
	)}
	count(_violations({"proxy": {"enabled": true, "expose": {"type": "external", "ipSourceRanges": ["10.0.0.0/8"]}}})) == 0
}

test_internal_exposure_needs_no_source_ranges if {
	count(_violations({"proxy": {"enabled": true, "expose": {"type": "internal"}}})) == 0
}

test_open_ranges_are_refused if {
	_violations({"proxy": {"expose": {"type": "external", "ipSourceRanges": ["10.0.0.0/8", "::/0"]}}}) == {_v(
		"spec.proxy.expose.ipSourceRanges[1]", "ExposureUnrestricted",
		"::/0 opens the cluster to every address; list the CIDRs allowed to connect",
	)}
}

test_source_ranges_must_be_cidrs if {
	_violations({"proxy": {"expose": {"type": "external", "ipSourceRanges": ["10.0.0/8"]}}}) == {_v(
		"spec.proxy.expose.ipSourceRanges[0]", "CIDRInvalid",
		"10.0.0/8 is not a CIDR such as 10.0.0.0/8",
	)}
}
