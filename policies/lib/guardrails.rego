package dbaas.lib

# METADATA
# title: Cluster size violations
# description: >-
#   A cluster size n (spec.clusterSize or an op's replicas, named by field) against the
#   engine's bounds (limits: the cluster object of its data), and odd when the data says
#   why it must be.
cluster_size_violations(limits, engine, n, field) := cluster_size_violations_in(limits_index(limits), engine, n, field)

# METADATA
# title: Cluster size violations with a limits index
# description: cluster_size_violations for limits made by limits_index.
cluster_size_violations_in(limits, engine, n, field) := (below | outside) | even if {
	below := {violation(field, "ClusterSizeOutOfRange", msg) |
		n < 1
		msg := sprintf("%s must be at least 1, got %v", [label(field), n])
	}
	outside := {violation(field, "ClusterSizeOutOfRange", msg) |
		n >= 1
		b := limits.clusterSize
		_beyond(b, n)
		msg := sprintf("%s must be between %v and %v for %s, got %v", [label(field), b.min, b.max, engine, n])
	}
	even := {violation(field, "ClusterSizeEven", msg) |
		why := limits.oddClusterSize
		n % 2 == 0
		msg := sprintf("%s must be odd for %s (1, 3, 5, ...): %s, got %v", [label(field), engine, why, n])
	}
}

# METADATA
# title: Limits index
# description: >-
#   Cluster limits (the cluster object of engine data) with the bounds of clusterSize,
#   storage, cpu and memory also as numbers, so a decision compares numbers rather than
#   parsing the data again: minNumber and maxNumber ([] when the quantity does not
#   parse), and lo and hi for bounds_indexes (a bound that does not parse refuses
#   nothing: lo is then null and hi "", which Rego orders below and above every number).
limits_index(limits) := object.union_n([
	limits,
	{r: object.union(b, {
		"minNumber": lo,
		"maxNumber": hi,
		"lo": _first(lo, null),
		"hi": _first(hi, ""),
	}) |
		some r, b in limits
		r in {"clusterSize", "storage", "cpu", "memory"}
		is_object(b)
		lo := [n | n := quantity(b.min)]
		hi := [n | n := quantity(b.max)]
	},
	# n % 2 >= oddRemainder holds for every integer when sizes may be even, odd ones otherwise
	{"oddRemainder": _odd_remainder(limits)},
]) if {
	is_object(limits)
} else := limits

_odd_remainder(limits) := 1 if "oddClusterSize" in object.keys(limits)

default _odd_remainder(_) := 0

_first([x], _) := x

_first([], d) := d

# METADATA
# title: Bounds indexes
# description: >-
#   For each engine with cluster limits, the bounds of within_limits: without a tier
#   (none) and in each tier (tiers), the engine's limits (limits_index) capped by the
#   tier's (tier_limits_index). It reads only data, so the operator computes it once when
#   it loads the policies (custom.precompute).
# custom:
#   precompute: true
bounds_indexes[engine] := {
	"none": _capped(limits, _no_caps),
	"tiers": {name: _capped(limits, object.get(t, "caps", _no_caps)) | some name, t in tier_indexes},
} if {
	some engine, e in data.dbaas.engines
	limits := limits_index(e.cluster)
}

# _no_caps are the caps of no tier ("" is above every number).
_no_caps := {"clusterSize": "", "storage": "", "cpu": "", "memory": ""}

# _capped are the bounds of limits capped by caps: lo and hi of clusterSize, storage,
# cpu and memory, and oddRemainder.
_capped(limits, caps) := object.union(
	{r: {"lo": limits[r].lo, "hi": min([limits[r].hi, caps[r]])} | some r, _ in _no_caps; limits[r].lo},
	{"oddRemainder": limits.oddRemainder},
)

# METADATA
# title: Within limits
# description: >-
#   True when cluster size n, volume size and resources res are within bounds b (see
#   bounds_indexes: the engine's bounds capped by the tier's limits), odd where the engine
#   needs it, with requests not above limits. Then the size, storage, resources and tier
#   rules find nothing, so a gate checks this first and skips them: one pass over the
#   numbers instead of a rule per check. False says only that the rules must look.
within_limits(b, n, size, res) if {
	n >= 1
	n >= b.clusterSize.lo
	n <= b.clusterSize.hi
	n % 2 >= b.oddRemainder

	# Amounts are parsed inline, as quantity does, once each. Only amounts within bounds
	# count: a number, a malformed amount or one out of bounds fails a count, and the
	# rules look at it.
	syntax := quantity_syntax
	is_string(size)
	regex.match(syntax, size)
	s := units.parse(size)
	s >= b.storage.lo
	s <= b.storage.hi

	granted := object.get(res, "limits", {})
	capped := {r: x |
		some r, q in granted
		is_string(q)
		regex.match(syntax, q)
		x := units.parse(q)
		x >= b[r].lo
		x <= b[r].hi
	}
	count(capped) == count(granted)
	requests := object.get(res, "requests", {})
	count({r |
		some r, q in requests
		is_string(q)
		regex.match(syntax, q)
		x := units.parse(q)
		x >= b[r].lo
		x <= b[r].hi
		x <= object.get(capped, r, "")
	}) == count(requests)
}

# METADATA
# title: Storage violations
# description: A volume size (a Kubernetes quantity) against the engine's bounds.
storage_violations(limits, engine, size, field) := storage_violations_in(limits_index(limits), engine, size, field)

# METADATA
# title: Storage violations with a limits index
# description: storage_violations for limits made by limits_index.
storage_violations_in(limits, engine, size, field) := {violation(field, "StorageOutOfRange", msg) |
	b := limits.storage
	_beyond(b, quantity(size))
	msg := sprintf("%s must be between %s and %s for %s, got %s", [label(field), b.min, b.max, engine, _text(size)])
}

# METADATA
# title: Resources violations
# description: >-
#   Requests and limits ({requests: {cpu, memory}, limits: {...}}, under field) against
#   the engine's cpu and memory bounds; requests must not exceed limits.
resources_violations(limits, engine, res, field) := resources_violations_in(limits_index(limits), engine, res, field)

# METADATA
# title: Resources violations with a limits index
# description: resources_violations for limits made by limits_index.
resources_violations_in(limits, engine, res, field) := bounds | over if {
	bounds := {violation(f, "ResourcesOutOfRange", msg) |
		some kind in ["requests", "limits"]
		some r in ["cpu", "memory"]
		q := res[kind][r]
		b := limits[r]
		_beyond(b, quantity(q))
		f := sprintf("%s.%s.%s", [field, kind, r])
		msg := sprintf("%s must be between %s and %s for %s, got %s", [label(f), b.min, b.max, engine, _text(q)])
	}
	over := {violation(f, "RequestsExceedLimits", msg) |
		some r, q in res.requests
		l := res.limits[r]
		quantity(q) > quantity(l)
		f := sprintf("%s.requests.%s", [field, r])
		msg := sprintf("%s (%s) must not exceed %s.limits.%s (%s)", [label(f), _text(q), label(field), r, _text(l)])
	}
}

# _beyond holds when number n is outside bounds b of a limits index.
_beyond(b, n) if n < b.minNumber[0]

_beyond(b, n) if n > b.maxNumber[0]

# METADATA
# title: Out of bounds
# description: True when number n is below b.min or above b.max (quantities or numbers).
out_of_bounds(b, n) if n < quantity(b.min)

out_of_bounds(b, n) if n > quantity(b.max)

# METADATA
# title: Label
# description: How a message names a field ("spec.storage.size" reads "storage.size").
label(field) := trim_prefix(field, "spec.")
