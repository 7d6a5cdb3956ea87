package dbaas.lib_test

import data.dbaas.lib

test_addresses_covered_merges_each_family if {
	ranges := ["10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/8", "2001:db8::/127", "2001:db8::1/128", "bad", "::ffff:10.0.0.0/104"]
	lib.addresses_covered(ranges, "ipv4") == 33554432
	lib.addresses_covered(ranges, "ipv6") == 2
	lib.addresses_covered([], "ipv4") == 0
}

test_source_range_width if {
	lib.source_range_width(16777216, "ipv4") == "as many as a /8"
	lib.source_range_width(16777217, "ipv4") == "more than a /8"
	lib.source_range_width(1, "ipv6") == "as many as a /128"
}
