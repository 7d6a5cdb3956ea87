package dbaas.lib

# METADATA
# title: Config context
# description: >-
#   What the config rules need to know about the cluster: its engine name, size, whether
#   backups are on and whether unknown parameters may pass (unsafe config).
config_context(engine, size, spec, tenancy, tier_limits, namespace, annotations) := {
	"engine": engine,
	"clusterSize": size,
	"backup": object.get(spec, ["backup", "enabled"], false) == true,
	"unsafe": unsafe,
	"unsafeRefusal": refusal,
} if {
	[unsafe, refusal] := _unsafe(tenancy, tier_limits, namespace, annotations)
}

# _unsafe is [allowed, refusal text]; the common case, no annotation, is one lookup.
_unsafe(tenancy, tier_limits, namespace, annotations) := [false, ""] if {
	object.get(annotations, unsafe_annotation, "") != "true"
} else := [true, ""] if {
	unsafe_config(tenancy, tier_limits, namespace, annotations)
} else := [false, unsafe_refusal(tenancy, tier_limits, namespace, annotations)]

# METADATA
# title: Config findings
# description: >-
#   Every problem of config parameters [{name, value}] for engine data e and context ctx
#   (see config_context). A finding is {"names", "reason", "msg"}: names[0] is the
#   parameter at fault, later names the parameters it conflicts with; each gate turns
#   the name it owns into a field. The engine data is read here once: the rules below
#   take small arguments, which keeps evaluation fast.
config_findings(_, [], _) := set()

config_findings(e, cfg, ctx) := union({
	_fixed_findings(ps, e.operator),
	_unknown_findings(ps, ctx),
	_duplicate_findings(ps),
	_invalid_findings(ps, syntax),
	_range_findings(ps, syntax),
	_order_findings(ps, pairs, syntax, ctx),
	_cluster_size_findings(ps, ctx),
	_standalone_findings(ps, ctx),
}) if {
	count(cfg) > 0
	syntax := value_syntax(e)
	ps := params(e, cfg, syntax)
	keys := {p.key | some p in ps}
	pairs := [{"lo": lo, "hi": rel.param, "loSpec": e.parameters[lo], "hiSpec": e.parameters[rel.param], "rel": rel} |
		some lo, rel in object.get(e, "lessThan", {})
		_touched(keys, lo, rel.param)
	]
}

# _touched holds when the config sets either side of a pair: untouched pairs keep their
# defaults, which the data gets right.
_touched(keys, lo, _) if lo in keys

_touched(keys, _, hi) if hi in keys

# METADATA
# title: Parameters
# description: >-
#   Each config parameter with what the rules ask of it: its key in the data, its spec
#   (null when unknown), its fixed hint (null unless the child operator manages it),
#   whether its value is valid and the number it stands for (null when it has none).
params(e, cfg, syntax) := [x |
	folding := name_folding(e)
	fixed := object.get(e, "fixed", {})
	prefixes := object.get(e, "fixedPrefixes", {})
	some p in cfg
	k := fold(folding, p.name)
	spec := object.get(e.parameters, k, null)
	hint := object.get(fixed, k, null)
	prefix_hints := [h | spec == null; hint == null; some prefix, h in prefixes; startswith(k, prefix)]
	valid := _valid(syntax, spec, p.value)
	x := {
		"name": p.name,
		"value": p.value,
		"key": k,
		"spec": spec,
		"fixed": _pick(hint, prefix_hints),
		"valid": valid,
		"number": _number_if(valid, syntax, spec, p.value),
	}
]

# _pick is the exact fixed hint, else the first prefix hint, else null.
_pick(hint, _) := hint if hint != null

_pick(null, hints) := hints[0] if count(hints) > 0

_pick(null, []) := null

_valid(syntax, spec, v) if {
	valid_value(syntax, spec, v)
} else := false

# _number_if is the number of a valid value, null for an invalid or turned-off one.
_number_if(true, syntax, spec, v) := param_number(syntax, spec, v) if {
	v != object.get(spec, "disabled", null)
} else := null

_number_if(false, _, _, _) := null

# METADATA
# title: Value syntax
# description: The parts of engine data e that value checks need (size units, booleans, an example size).
value_syntax(e) := {
	"units": object.get(e, "sizeUnits", default_size_units),
	"bools": {lower(x) | some x in object.get(e, "boolValues", ["on", "off", "true", "false"])},
	"sizeExample": object.get(e, "sizeExample", "128MB"),
}

# METADATA
# title: Name folding
# description: How engine data e folds parameter names (lower case, dashes as underscores).
name_folding(e) := {
	"lower": object.get(e, "caseInsensitiveNames", false),
	"dashes": object.get(e, "dashesAreUnderscores", false),
}

# METADATA
# title: Fold
# description: The key under which the data knows a parameter name, folded as name_folding says.
fold(folding, name) := _dashes(folding.dashes, _lower(folding.lower, name))

_lower(true, s) := lower(s)

_lower(false, s) := s

_dashes(true, s) := replace(s, "-", "_")

_dashes(false, s) := s

_finding(names, reason, msg) := {"names": names, "reason": reason, "msg": msg}

_fixed_findings(ps, operator) := {_finding([p.name], "ParameterFixed", _fixed_msg(operator, p.name, p.fixed)) |
	some p in ps
	p.fixed != null
}

_fixed_msg(operator, name, "") := sprintf("%s cannot be set: %s manages it", [name, operator])

_fixed_msg(operator, name, hint) := sprintf("%s cannot be set: %s manages it; %s", [name, operator, hint]) if hint != ""

_unknown_findings(ps, ctx) := {f |
	ctx.unsafe != true
	some p in ps
	p.spec == null
	p.fixed == null
	msg := sprintf("%s is not a known %s parameter%s", [p.name, ctx.engine, ctx.unsafeRefusal])
	f := _finding([p.name], "ParameterUnknown", msg)
}

_duplicate_findings(ps) := {f |
	some i, p in ps
	some j, q in ps
	j < i
	p.key == q.key
	f := _finding([p.name, q.name], "ParameterDuplicate", sprintf("%s repeats %s", [p.name, q.name]))
}

_invalid_findings(ps, syntax) := {f |
	some p in ps
	p.spec != null
	p.valid == false
	f := _finding([p.name], "ParameterInvalid", sprintf("%s must be %s, got %q", [p.name, _type_hint(syntax, p.spec), p.value]))
}

# METADATA
# title: Valid value
# description: True when value v has the syntax of parameter spec (its type, enum values, pattern).
valid_value(_, spec, v) if v == spec.disabled

valid_value(syntax, spec, v) if _valid_as(spec.type, syntax, spec, v)

# _valid_as dispatches on the type in its head, so only the matching clause runs.
_valid_as("int", _, _, v) if regex.match(`^-?[0-9]+$`, v)

_valid_as("real", _, _, v) if regex.match(`^-?([0-9]+\.?[0-9]*|\.[0-9]+)$`, v)

_valid_as("bool", syntax, _, v) if lower(v) in syntax.bools

_valid_as("enum", _, spec, v) if lower(v) in {lower(x) | some x in spec.values}

_valid_as("size", syntax, spec, v) if size_bytes(v, object.get(spec, "unit", ""), syntax.units)

_valid_as("duration", _, spec, v) if duration_us(v, object.get(spec, "unit", "ms"))

_valid_as("string", _, spec, v) if {
	count(v) <= object.get(spec, "maxLength", 4096)
	regex.match(object.get(spec, "pattern", ""), v)
}

_type_hint(syntax, spec) := "an integer" if {
	spec.type == "int"
} else := "a number" if {
	spec.type == "real"
} else := sprintf("a boolean (%s)", [concat(", ", sort(syntax.bools))]) if {
	spec.type == "bool"
} else := sprintf("one of %s", [concat(", ", spec.values)]) if {
	spec.type == "enum"
} else := sprintf("a size such as %s", [syntax.sizeExample]) if {
	spec.type == "size"
} else := "a duration such as 30s (units us, ms, s, min, h, d)" if {
	spec.type == "duration"
} else := sprintf("text of at most %v characters matching %s", [object.get(spec, "maxLength", 4096), spec.pattern]) if {
	spec.type == "string"
} else := sprintf("text of at most %v characters", [object.get(spec, "maxLength", 4096)]) if {
	spec.type == "string"
} else := sprintf("a value of type %s, which this policy does not know", [spec.type])

# METADATA
# title: Parameter as a number
# description: The number a value stands for, in the parameter's base unit (bytes, microseconds).
param_number(syntax, spec, v) := _number_as(spec.type, syntax, spec, v)

_number_as("int", _, _, v) := to_number(_text(v))

_number_as("real", _, _, v) := to_number(_text(v))

_number_as("size", syntax, spec, v) := size_bytes(v, object.get(spec, "unit", ""), syntax.units)

_number_as("duration", _, spec, v) := duration_us(v, object.get(spec, "unit", "ms"))

_range_findings(ps, syntax) := {f |
	some p in ps
	p.number != null
	_outside(syntax, p.spec, p.number)
	msg := sprintf("%s must be between %s and %s%s, got %s", [p.name, _text(p.spec.min), _text(p.spec.max), _off(p.spec), p.value])
	f := _finding([p.name], "ParameterOutOfRange", msg)
}

_outside(syntax, spec, n) if n < param_number(syntax, spec, spec.min)

_outside(syntax, spec, n) if n > param_number(syntax, spec, spec.max)

_off(spec) := sprintf(" (or %s to turn it off)", [spec.disabled]) if {
	spec.disabled
} else := ""

_order_findings(ps, pairs, syntax, ctx) := {f |
	some pair in pairs
	not _exempt(pair.rel, ctx)
	lo := _effective(ps, pair.lo, pair.loSpec, syntax)
	hi := _effective(ps, pair.hi, pair.hiSpec, syntax)
	names := [x.name | some x in [lo, hi]; x.explicit]
	count(names) > 0
	lo.number != null
	hi.number != null
	lo.number >= hi.number
	msg := sprintf("%s (%s) must be less than %s (%s)", [lo.name, _shown(lo), hi.name, _shown(hi)])
	f := _finding(names, "ParameterConflict", msg)
}

_exempt(rel, ctx) if {
	rel.exceptStandalone == true
	ctx.clusterSize == 1
}

# _effective is the parameter as configured, else its default from the data.
_effective(ps, key, spec, syntax) := {"name": m[0].name, "value": m[0].value, "number": m[0].number, "explicit": true} if {
	m := [p | some p in ps; p.key == key]
	count(m) > 0
} else := {"name": key, "value": spec.default, "number": param_number(syntax, spec, spec.default), "explicit": false}

_shown(x) := x.value if x.explicit

_shown(x) := sprintf("%s, the default", [x.value]) if not x.explicit

_cluster_size_findings(ps, ctx) := {f |
	some p in ps
	p.spec.atMostClusterSize == true
	p.number != null
	p.number > ctx.clusterSize
	msg := sprintf("%s (%s) must not exceed clusterSize (%v)", [p.name, p.value, ctx.clusterSize])
	f := _finding([p.name], "ParameterConflict", msg)
}

_standalone_findings(ps, ctx) := {f |
	some p in ps
	p.spec != null
	some x in object.get(p.spec, "standaloneOnly", [])
	lower(p.value) == lower(x)
	why := _not_standalone(ctx)
	count(why) > 0
	msg := sprintf("%s=%s needs clusterSize 1 and backups disabled: %s", [p.name, p.value, concat(" and ", why)])
	f := _finding([p.name], "ParameterConflict", msg)
}

_not_standalone(ctx) := array.concat(
	[sprintf("clusterSize is %v", [ctx.clusterSize]) | ctx.clusterSize > 1],
	["backups are enabled" | ctx.backup == true],
)
