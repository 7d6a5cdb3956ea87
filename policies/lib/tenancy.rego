package dbaas.lib

# METADATA
# title: Unsafe config annotation
# description: The annotation with which a cluster asks to pass unknown parameters.
unsafe_annotation := "dbaas.io/unsafe-config"

# METADATA
# title: Tier name
# description: The tier a namespace's labels select, else the default tier.
tier_name(tenancy, labels) := object.get(labels, object.get(tenancy, "tier_label", "dbaas.io/tier"), tenancy.default_tier)

# METADATA
# title: Tier
# description: The selected tier as {"name", "limits"}; undefined when the label names no tier.
tier(tenancy, labels) := {"name": name, "limits": tenancy.tiers[name]} if {
	name := tier_name(tenancy, labels)
}

# METADATA
# title: Unknown tier
# description: Refuses a namespace whose tier label names no tier, so a typo cannot lift the limits.
unknown_tier_violations(tenancy, labels) := {violation("metadata.namespace", "TierUnknown", msg) |
	name := tier_name(tenancy, labels)
	not tenancy.tiers[name]
	tier_label := object.get(tenancy, "tier_label", "dbaas.io/tier")
	tiers := concat(", ", sort(object.keys(tenancy.tiers)))
	msg := sprintf("namespace label %s=%s names no tier; tiers are %s", [tier_label, name, tiers])
}

# METADATA
# title: Tier cluster size
# description: A cluster size against the tier's maxClusterSize.
tier_cluster_size_violations(t, n, field) := {violation(field, "TierLimitExceeded", msg) |
	limit := t.limits.maxClusterSize
	n > limit
	msg := sprintf("%s %v exceeds the limit of tier %s (%v)", [label(field), n, t.name, limit])
}

# METADATA
# title: Tier storage
# description: A volume size against the tier's maxStorage.
tier_storage_violations(t, size, field) := tier_storage_violations_in(tier_index(t), size, field)

# METADATA
# title: Tier storage with a tier index
# description: tier_storage_violations for a tier whose limits tier_limits_index made.
tier_storage_violations_in(t, size, field) := {violation(field, "TierLimitExceeded", msg) |
	limit := t.limits.maxStorage
	quantity(size) > t.limits.numbers.maxStorage[0]
	msg := sprintf("%s %s exceeds the limit of tier %s (%s)", [label(field), _text(size), t.name, _text(limit)])
}

# METADATA
# title: Tier resources
# description: Each cpu and memory request and limit against the tier's maxCPU and maxMemory.
tier_resources_violations(t, res, field) := tier_resources_violations_in(tier_index(t), res, field)

# METADATA
# title: Tier resources with a tier index
# description: tier_resources_violations for a tier whose limits tier_limits_index made.
tier_resources_violations_in(t, res, field) := {violation(f, "TierLimitExceeded", msg) |
	some kind in ["requests", "limits"]
	some r, key in {"cpu": "maxCPU", "memory": "maxMemory"}
	q := res[kind][r]
	limit := t.limits[key]
	quantity(q) > t.limits.numbers[key][0]
	f := sprintf("%s.%s.%s", [field, kind, r])
	msg := sprintf("%s %s exceeds the limit of tier %s (%s)", [label(f), _text(q), t.name, _text(limit)])
}

# METADATA
# title: Tier indexes
# description: >-
#   tier_limits_index of each tier of data.dbaas.tenancy, by name. It reads only data, so
#   the operator computes it once when it loads the policies (custom.precompute).
# custom:
#   precompute: true
tier_indexes[name] := tier_limits_index(limits) if some name, limits in data.dbaas.tenancy.tiers

# METADATA
# title: Tier limits index
# description: >-
#   A tier's limits with maxStorage, maxCPU and maxMemory also as numbers (under numbers,
#   [] when the quantity does not parse), so a decision compares numbers, and the caps
#   that bounds_indexes applies (a limit that is absent or does not parse caps nothing:
#   it is then "", which Rego orders above every number).
tier_limits_index(limits) := object.union(limits, {
	"numbers": numbers,
	"caps": {
		"clusterSize": object.get(limits, "maxClusterSize", ""),
		"storage": _first(numbers.maxStorage, ""),
		"cpu": _first(numbers.maxCPU, ""),
		"memory": _first(numbers.maxMemory, ""),
	},
}) if {
	is_object(limits)
	numbers := {key: [n | n := quantity(limits[key])] | some key in ["maxStorage", "maxCPU", "maxMemory"]}
} else := limits

# tier_index is tier t with its limits indexed.
tier_index(t) := object.union(t, {"limits": tier_limits_index(limits)}) if {
	limits := t.limits
} else := t

# METADATA
# title: Unsafe config
# description: >-
#   True when the cluster carries the unsafe-config annotation and its namespace may use
#   it: listed in unsafe_config_namespaces or in a tier with allowUnsafeConfig.
unsafe_config(tenancy, tier_limits, namespace, annotations) if {
	annotations[unsafe_annotation] == "true"
	_unsafe_allowed(tenancy, tier_limits, namespace)
}

_unsafe_allowed(tenancy, _, namespace) if namespace in object.get(tenancy, "unsafe_config_namespaces", [])

_unsafe_allowed(_, tier_limits, _) if tier_limits.allowUnsafeConfig == true

# METADATA
# title: Unsafe refusal
# description: The text appended to unknown-parameter messages when the annotation is set but not allowed.
unsafe_refusal(tenancy, tier_limits, namespace, annotations) := msg if {
	annotations[unsafe_annotation] == "true"
	not _unsafe_allowed(tenancy, tier_limits, namespace)
	msg := sprintf("; namespace %s may not use the %s annotation", [namespace, unsafe_annotation])
} else := ""
