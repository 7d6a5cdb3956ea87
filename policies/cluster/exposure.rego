package dbaas.cluster

import data.dbaas.lib

_expose := object.get(_spec, ["proxy", "expose"], {})

_ranges := object.get(_expose, "ipSourceRanges", [])

# METADATA
# title: External exposure restricted
# description: An external (LoadBalancer) cluster must list the CIDRs allowed to connect.
violation contains lib.violation("spec.proxy.expose.ipSourceRanges", "ExposureUnrestricted", msg) if {
	input.cluster.spec.proxy.expose.type == "external" # indexed: skipped unless external
	count(_ranges) == 0
	msg := "external exposure needs ipSourceRanges: list the CIDRs allowed to connect"
}

# METADATA
# title: Source ranges no wider than the tier allows
# description: >-
#   What the source ranges cover together, per address family, within the widest prefix
#   of the namespace's tier: 0.0.0.0/1 with 128.0.0.0/1 opens as much as 0.0.0.0/0
#   (see lib.source_range_violations).
violation contains v if {
	input.cluster.spec.proxy.expose.type == "external"
	count(_ranges) > 0
	some v in lib.source_range_violations(_ranges, _tier, "spec.proxy.expose.ipSourceRanges")
}

# METADATA
# title: Valid CIDRs
# description: Each source range must be a CIDR.
violation contains lib.violation(sprintf("spec.proxy.expose.ipSourceRanges[%d]", [i]), "CIDRInvalid", msg) if {
	some i, r in input.cluster.spec.proxy.expose.ipSourceRanges
	not net.cidr_is_valid(r)
	msg := sprintf("%s is not a CIDR such as 10.0.0.0/8", [r])
}
