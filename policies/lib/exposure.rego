package dbaas.lib

# METADATA
# title: Widest source ranges by default
# description: >-
#   The widest prefix per address family that the source ranges of a tier without
#   widestSourceRanges may cover together.
default_widest_source_ranges := {"ipv4": 8, "ipv6": 32}

# _address_bits are the bits of an address, by family.
_address_bits := {"ipv4": 32, "ipv6": 128}

# _family is "ipv6" for a CIDR written with colons, else "ipv4".
_family(cidr) := "ipv6" if contains(cidr, ":")

else := "ipv4"

# METADATA
# title: IPv4-mapped source range
# description: >-
#   True for an IPv6 CIDR inside ::ffff:0:0/96, which names IPv4 addresses: it is
#   refused rather than counted as a few IPv6 addresses.
ipv4_mapped(cidr) if {
	contains(cidr, ":")
	net.cidr_contains("::ffff:0:0/96", cidr)
}

# METADATA
# title: Addresses covered
# description: >-
#   How many addresses of one family (ipv4, ipv6) the union of the valid CIDRs of that
#   family among ranges covers: overlapping and adjacent CIDRs are merged first, so
#   each address counts once. 0 when there are none.
addresses_covered(ranges, family) := sum([bits.lsh(1, _address_bits[family] - to_number(split(c, "/")[1])) |
	cidrs := [r |
		some r in ranges
		net.cidr_is_valid(r)
		_family(r) == family
		not ipv4_mapped(r)
	]
	count(cidrs) > 0
	some c in net.cidr_merge(cidrs)
])

# METADATA
# title: Source range width
# description: >-
#   Says how wide a count of addresses of a family is as a prefix: "as many as a /k"
#   when it is exactly one /k, else "more than a /k" for the widest /k it exceeds.
source_range_width(covered, family) := sprintf("%s a /%d", [how, k]) if {
	k := _address_bits[family] - (count(format_int(covered, 2)) - 1)
	how := _exactly(covered == bits.lsh(1, _address_bits[family] - k))
}

_exactly(true) := "as many as"

_exactly(false) := "more than"

# METADATA
# title: Source ranges within the tier
# description: >-
#   Refuses source ranges whose union covers, in one address family, more addresses
#   than one range of the widest prefix the tier t allows for it (widestSourceRanges,
#   else default_widest_source_ranges), and IPv4-mapped IPv6 ranges. field is the list.
source_range_violations(ranges, t, field) := {violation(field, "ExposureTooWide", msg) |
	some family, size in _address_bits
	covered := addresses_covered(ranges, family)
	widest := object.get(object.get(t.limits, "widestSourceRanges", {}), family, default_widest_source_ranges[family])
	allowed := bits.lsh(1, size - widest)
	covered > allowed
	msg := sprintf("%s cover %d %s addresses together, %s; tier %s allows at most as many as a /%d (%d): list narrower CIDRs", [
		label(field), covered, _family_names[family], source_range_width(covered, family),
		t.name, widest, allowed,
	])
} | {violation(sprintf("%s[%d]", [field, i]), "CIDRInvalid", msg) |
	some i, r in ranges
	ipv4_mapped(r)
	msg := sprintf("%s is an IPv4-mapped IPv6 range: write it as an IPv4 CIDR", [r])
}

_family_names := {"ipv4": "IPv4", "ipv6": "IPv6"}
