package dbaas.cluster_test

import data.dbaas.cluster

_tls_off := {"spec": {"engine": "mongodb", "clusterSize": 3, "tls": {"enabled": false}}}

test_tls_off_is_refused_in_a_tier_that_does_not_allow_it if {
	cluster.violation == {_v(
		"spec.tls.enabled", "TLSRequired",
		"TLS cannot be turned off in tier standard: remove spec.tls.enabled, or use a namespace of a tier with allowTLSDisabled",
	)} with input as _input_in(_tls_off, {})
}

test_tls_off_is_allowed_in_a_tier_that_allows_it if {
	count(cluster.violation) == 0 with input as _input_in(_tls_off, {"dbaas.io/tier": "small"})
}

test_tls_on_or_unset_is_never_refused if {
	count(cluster.violation) == 0 with input as _input_in({"spec": {"engine": "mongodb", "clusterSize": 3, "tls": {"enabled": true}}}, {})
	count(cluster.violation) == 0 with input as _input_in({"spec": {"engine": "mongodb", "clusterSize": 3, "tls": {"mode": "required"}}}, {})
}
