package dbaas.lib_test

import data.dbaas.lib

test_size_bytes_reads_units if {
	lib.size_bytes("256MB", "", lib.default_size_units) == 268435456
	lib.size_bytes("1 GB", "", lib.default_size_units) == 1073741824
	lib.size_bytes("2TB", "", lib.default_size_units) == 2199023255552
	lib.size_bytes("64kB", "", lib.default_size_units) == 65536
	lib.size_bytes("100B", "", lib.default_size_units) == 100
}

test_size_bytes_counts_bare_numbers_in_the_default_unit if {
	lib.size_bytes("16", "8kB", lib.default_size_units) == 131072
	lib.size_bytes("1024", "kB", lib.default_size_units) == 1048576
	lib.size_bytes("80", "MB", lib.default_size_units) == 83886080
	lib.size_bytes("512", "", lib.default_size_units) == 512
	lib.size_bytes(4, "kB", lib.default_size_units) == 4096
}

test_unit_bytes_reads_counted_units if {
	lib.unit_bytes("8kB", lib.default_size_units) == 8192
	lib.unit_bytes("kB", lib.default_size_units) == 1024
	lib.unit_bytes("", lib.default_size_units) == 1
	not lib.unit_bytes("xB", lib.default_size_units)
}

test_size_bytes_uses_the_engine_table if {
	lib.size_bytes("1G", "", {"G": 1073741824}) == 1073741824
	not lib.size_bytes("1G", "", lib.default_size_units)
}

test_size_bytes_refuses_what_is_not_a_size if {
	not lib.size_bytes("lots", "", lib.default_size_units)
	not lib.size_bytes("1mb", "", lib.default_size_units)
	not lib.size_bytes("1.2.3MB", "", lib.default_size_units)
	not lib.size_bytes("", "", lib.default_size_units)
}

test_duration_us_reads_units if {
	lib.duration_us("30s", "ms") == 30000000
	lib.duration_us("5min", "ms") == 300000000
	lib.duration_us("2h", "ms") == 7200000000
	lib.duration_us("1d", "ms") == 86400000000
	lib.duration_us("500us", "ms") == 500
	lib.duration_us("1.5ms", "ms") == 1500
	lib.duration_us("250", "ms") == 250000
	lib.duration_us("300", "s") == 300000000
	lib.duration_us("-1", "ms") == -1000
}

test_duration_us_refuses_unknown_units if {
	not lib.duration_us("5m", "ms")
	not lib.duration_us("soon", "ms")
}

test_quantity_reads_cpu_and_memory if {
	lib.quantity("500m") == 0.5
	lib.quantity("2") == 2
	lib.quantity("1.5") == 1.5
	lib.quantity("1Ki") == 1024
	lib.quantity("2Gi") == 2147483648
	lib.quantity("1Ti") == 1099511627776
	lib.quantity("1k") == 1000
	lib.quantity("3M") == 3000000
	lib.quantity("1G") == 1000000000
	lib.quantity("123456") == 123456
	lib.quantity(3) == 3
}

test_quantity_refuses_what_kubernetes_refuses if {
	not lib.quantity("1GB")
	not lib.quantity("lots")
	not lib.quantity("-1Gi")
	not lib.quantity(true)
}
