package dbaas.cluster

import data.dbaas.lib

# METADATA
# title: TLS stays on
# description: >-
#   Turning TLS off (spec.tls.enabled false) needs a namespace whose tier allows it
#   (allowTLSDisabled in data.dbaas.tenancy). Whether an engine can run without TLS
#   at all is the engine's to say; this is what the platform allows.
violation contains lib.violation("spec.tls.enabled", "TLSRequired", msg) if {
	input.cluster.spec.tls.enabled == false
	not _tier_limits.allowTLSDisabled == true
	msg := sprintf("TLS cannot be turned off in tier %s: remove spec.tls.enabled, or use a namespace of a tier with allowTLSDisabled", [lib.tier_name(_tenancy, _labels)])
}
