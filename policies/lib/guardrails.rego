package dbaas.lib

# METADATA
# title: Cluster size violations
# description: >-
#   A cluster size n (spec.clusterSize or an op's replicas, named by field) against the
#   engine's bounds (limits: the cluster object of its data), and odd when the data says
#   why it must be.
cluster_size_violations(limits, engine, n, field) := union({
	_size_positive(n, field),
	_size_bounds(limits, engine, n, field),
	_size_odd(limits, engine, n, field),
})

_size_positive(n, field) := {violation(field, "ClusterSizeOutOfRange", msg) |
	n < 1
	msg := sprintf("%s must be at least 1, got %v", [label(field), n])
}

_size_bounds(limits, engine, n, field) := {violation(field, "ClusterSizeOutOfRange", msg) |
	n >= 1
	b := limits.clusterSize
	out_of_bounds(b, n)
	msg := sprintf("%s must be between %v and %v for %s, got %v", [label(field), b.min, b.max, engine, n])
}

_size_odd(limits, engine, n, field) := {violation(field, "ClusterSizeEven", msg) |
	why := limits.oddClusterSize
	n % 2 == 0
	msg := sprintf("%s must be odd for %s (1, 3, 5, ...): %s, got %v", [label(field), engine, why, n])
}

# METADATA
# title: Storage violations
# description: A volume size (a Kubernetes quantity) against the engine's bounds.
storage_violations(limits, engine, size, field) := {violation(field, "StorageOutOfRange", msg) |
	b := limits.storage
	out_of_bounds(b, quantity(size))
	msg := sprintf("%s must be between %s and %s for %s, got %s", [label(field), b.min, b.max, engine, _text(size)])
}

# METADATA
# title: Resources violations
# description: >-
#   Requests and limits ({requests: {cpu, memory}, limits: {...}}, under field) against
#   the engine's cpu and memory bounds; requests must not exceed limits.
resources_violations(limits, engine, res, field) := _resource_bounds(limits, engine, res, field) | _requests_over_limits(res, field)

_resource_bounds(limits, engine, res, field) := {violation(f, "ResourcesOutOfRange", msg) |
	some kind in ["requests", "limits"]
	some r in ["cpu", "memory"]
	q := res[kind][r]
	b := limits[r]
	out_of_bounds(b, quantity(q))
	f := sprintf("%s.%s.%s", [field, kind, r])
	msg := sprintf("%s must be between %s and %s for %s, got %s", [label(f), b.min, b.max, engine, _text(q)])
}

_requests_over_limits(res, field) := {violation(f, "RequestsExceedLimits", msg) |
	some r, q in res.requests
	l := res.limits[r]
	quantity(q) > quantity(l)
	f := sprintf("%s.requests.%s", [field, r])
	msg := sprintf("%s (%s) must not exceed %s.limits.%s (%s)", [label(f), _text(q), label(field), r, _text(l)])
}

# METADATA
# title: Out of bounds
# description: True when number n is below b.min or above b.max (quantities or numbers).
out_of_bounds(b, n) if n < quantity(b.min)

out_of_bounds(b, n) if n > quantity(b.max)

# METADATA
# title: Label
# description: How a message names a field ("spec.storage.size" reads "storage.size").
label(field) := trim_prefix(field, "spec.")
