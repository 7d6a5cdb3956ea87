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
# title: No open range
# description: 0.0.0.0/0 and ::/0 would expose the cluster to every address.
violation contains lib.violation(sprintf("spec.proxy.expose.ipSourceRanges[%d]", [i]), "ExposureUnrestricted", msg) if {
	input.cluster.spec.proxy.expose.type == "external"
	some i, r in _ranges
	r in {"0.0.0.0/0", "::/0"}
	msg := sprintf("%s opens the cluster to every address; list the CIDRs allowed to connect", [r])
}

# METADATA
# title: Valid CIDRs
# description: Each source range must be a CIDR.
violation contains lib.violation(sprintf("spec.proxy.expose.ipSourceRanges[%d]", [i]), "CIDRInvalid", msg) if {
	some i, r in input.cluster.spec.proxy.expose.ipSourceRanges
	not net.cidr_is_valid(r)
	msg := sprintf("%s is not a CIDR such as 10.0.0.0/8", [r])
}
