package dbaas.cluster_test

import data.dbaas.cluster

_external(ranges) := {"proxy": {"enabled": true, "expose": {"type": "external", "ipSourceRanges": ranges}}}

# _exposure_in evaluates the gate on an external cluster in a namespace of the tier.
_exposure_in(ranges, tier) := vs if {
	vs := cluster.violation with input as _input_in({"spec": _external(ranges)}, {"dbaas.io/tier": tier})
}

_field := "spec.proxy.expose.ipSourceRanges"

test_external_exposure_needs_source_ranges if {
	_violations({"proxy": {"enabled": true, "expose": {"type": "external"}}}) == {_v(
		_field, "ExposureUnrestricted",
		"external exposure needs ipSourceRanges: list the CIDRs allowed to connect",
	)}
	count(_violations(_external(["10.0.0.0/8"]))) == 0
}

test_internal_exposure_needs_no_source_ranges if {
	count(_violations({"proxy": {"enabled": true, "expose": {"type": "internal"}}})) == 0
	count(_violations({"proxy": {"enabled": true, "expose": {"type": "internal", "ipSourceRanges": ["0.0.0.0/0"]}}})) == 0
}

test_open_ranges_are_refused if {
	_violations(_external(["10.0.0.0/8", "::/0"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 340282366920938463463374607431768211456 IPv6 addresses together, as many as a /0; tier standard allows at most as many as a /32 (79228162514264337593543950336): list narrower CIDRs",
	)}
	_violations(_external(["0.0.0.0/0"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 4294967296 IPv4 addresses together, as many as a /0; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
	)}
}

test_split_ranges_are_judged_together if {
	_violations(_external(["0.0.0.0/1", "128.0.0.0/1"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 4294967296 IPv4 addresses together, as many as a /0; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
	)}

	# Four /2 ranges in another order, and a range inside one of them.
	_violations(_external(["192.0.0.0/2", "10.0.0.0/8", "0.0.0.0/2", "128.0.0.0/2", "64.0.0.0/2"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 4294967296 IPv4 addresses together, as many as a /0; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
	)}
}

test_ipv6_ranges_are_judged_together if {
	_violations(_external(["::/1", "8000::/1"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 340282366920938463463374607431768211456 IPv6 addresses together, as many as a /0; tier standard allows at most as many as a /32 (79228162514264337593543950336): list narrower CIDRs",
	)}
	_violations(_external(["2001:db8::/32", "2001:db9::/32"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 158456325028528675187087900672 IPv6 addresses together, as many as a /31; tier standard allows at most as many as a /32 (79228162514264337593543950336): list narrower CIDRs",
	)}
	count(_violations(_external(["2001:db8::/32"]))) == 0
}

test_families_are_judged_apart if {
	# Each family within its limit: a /7 of IPv4 and a /32 of IPv6.
	count(_violations(_external(["10.0.0.0/7", "2001:db8::/32"]))) == 0

	# IPv4 over its limit, IPv6 within: one finding, about IPv4.
	_violations(_external(["10.0.0.0/7", "2001:db8::/32", "12.0.0.0/8"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 50331648 IPv4 addresses together, more than a /7; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
	)}
}

test_overlapping_ranges_count_once if {
	# Counted one by one these would be 2.5 /8s, more than a /7; their union is 1.5 /8s.
	count(_violations(_external(["10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9", "11.0.0.0/9", "10.1.2.0/24"]))) == 0

	# Adjacent ranges merge: 10/8 and 11/8 are one /7, the limit; a third /8 is over.
	count(_violations(_external(["10.0.0.0/8", "11.0.0.0/8"]))) == 0
	_violations(_external(["10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/8"])) == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 50331648 IPv4 addresses together, more than a /7; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
	)}
}

test_private_networks_fit_the_default_tier if {
	count(_violations(_external(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]))) == 0
}

test_source_range_limits_follow_the_tier if {
	_exposure_in(["10.0.0.0/8"], "small") == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 16777216 IPv4 addresses together, as many as a /8; tier small allows at most as many as a /16 (65536): list narrower CIDRs",
	)}
	_exposure_in(["2001:db8::/47"], "small") == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 2417851639229258349412352 IPv6 addresses together, as many as a /47; tier small allows at most as many as a /48 (1208925819614629174706176): list narrower CIDRs",
	)}
	count(_exposure_in(["10.1.0.0/16", "2001:db8::/48"], "small")) == 0
	count(_exposure_in(["10.0.0.0/8", "11.0.0.0/8"], "large")) == 0
}

test_tier_without_a_limit_uses_the_default if {
	tenancy := object.union(data.dbaas.tenancy, {"tiers": {"bare": {"maxClusterSize": 5, "maxStorage": "1Ti", "maxCPU": "16", "maxMemory": "64Gi"}}})
	vs := cluster.violation with input as _input_in({"spec": _external(["10.0.0.0/7"])}, {"dbaas.io/tier": "bare"})
		with data.dbaas.tenancy as tenancy
	vs == {_v(
		_field, "ExposureTooWide",
		"proxy.expose.ipSourceRanges cover 33554432 IPv4 addresses together, as many as a /7; tier bare allows at most as many as a /8 (16777216): list narrower CIDRs",
	)}
}

test_ipv4_mapped_ranges_are_refused if {
	_violations(_external(["::ffff:0.0.0.0/96"])) == {_v(
		"spec.proxy.expose.ipSourceRanges[0]", "CIDRInvalid",
		"::ffff:0.0.0.0/96 is an IPv4-mapped IPv6 range: write it as an IPv4 CIDR",
	)}
}

test_source_ranges_must_be_cidrs if {
	_violations(_external(["10.0.0/8"])) == {_v(
		"spec.proxy.expose.ipSourceRanges[0]", "CIDRInvalid",
		"10.0.0/8 is not a CIDR such as 10.0.0.0/8",
	)}

	# An invalid range is left out of the union; the valid ones are still judged.
	_violations(_external(["10.0.0/8", "0.0.0.0/1", "128.0.0.0/1"])) == {
		_v("spec.proxy.expose.ipSourceRanges[0]", "CIDRInvalid", "10.0.0/8 is not a CIDR such as 10.0.0.0/8"),
		_v(
			_field, "ExposureTooWide",
			"proxy.expose.ipSourceRanges cover 4294967296 IPv4 addresses together, as many as a /0; tier standard allows at most as many as a /7 (33554432): list narrower CIDRs",
		),
	}
}
