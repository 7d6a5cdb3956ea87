package dbaas.lib

# METADATA
# title: Default size units
# description: PostgreSQL's size units, for engines whose data gives no sizeUnits; kB is 1024 bytes.
default_size_units := {"B": 1, "kB": 1024, "MB": 1048576, "GB": 1073741824, "TB": 1099511627776}

# METADATA
# title: Duration units
# description: Microseconds per PostgreSQL duration unit (integers, so comparisons are exact).
duration_units := {"us": 1, "ms": 1000, "s": 1000000, "min": 60000000, "h": 3600000000, "d": 86400000000}

_number_with_unit := `^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`

# METADATA
# title: Size in bytes
# description: >-
#   Parses a size such as "256MB" with the unit table given; a bare number counts in
#   default_unit, itself a unit with an optional count such as "8kB" (PostgreSQL pages).
size_bytes(value, default_unit, table) := n * f if {
	[_, num, unit] := regex.find_all_string_submatch_n(_number_with_unit, _text(value), 1)[0]
	n := to_number(num)
	f := _size_factor(unit, default_unit, table)
}

_size_factor(unit, default_unit, table) := table[unit] if {
	unit != ""
} else := unit_bytes(default_unit, table) if {
	unit == ""
}

# METADATA
# title: Unit in bytes
# description: Bytes in a unit with an optional count ("8kB" is 8192, "" is 1).
unit_bytes(unit, table) := table[unit] if {
	unit != ""
} else := 1 if {
	unit == ""
} else := _count(num) * table[u] if {
	[_, num, u] := regex.find_all_string_submatch_n(`^([0-9]*)([A-Za-z]+)$`, unit, 1)[0]
}

_count("") := 1

_count(num) := to_number(num) if num != ""

# METADATA
# title: Duration in microseconds
# description: Parses a duration such as "30s" or "5min"; a bare number counts in default_unit.
duration_us(value, default_unit) := to_number(num) * duration_units[u] if {
	[_, num, unit] := regex.find_all_string_submatch_n(_number_with_unit, _text(value), 1)[0]
	u := _or(unit, default_unit)
}

# METADATA
# title: Kubernetes quantity
# description: >-
#   A Kubernetes quantity as a number: cores for cpu ("500m" is 0.5), bytes for memory
#   and storage (Ki Mi Gi Ti Pi Ei are powers of 1024; k M G T P E powers of 1000).
quantity(q) := units.parse(q) if {
	is_string(q)
	regex.match(quantity_syntax, q)
} else := q if {
	is_number(q)
}

# METADATA
# title: Quantity syntax
# description: What Kubernetes accepts as a quantity (units.parse accepts more, such as negative amounts).
quantity_syntax := `^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`

_text(v) := v if {
	is_string(v)
} else := format_int(v, 10) if {
	v == floor(v)
} else := sprintf("%v", [v])

_or("", d) := d

_or(x, _) := x if x != ""
