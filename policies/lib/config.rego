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
#   the name it owns into a field. The gates call config_findings_in with the engine's
#   entry of engine_indexes, which the operator computes once per load.
config_findings(e, cfg, ctx) := config_findings_in(engine_index(e), cfg, ctx)

# METADATA
# title: Config findings with an engine index
# description: >-
#   config_findings for idx, an engine_index. Most parameters are plain (see _plain):
#   they have no finding, so only the others go through the rules below, which explain
#   what is wrong with them.
config_findings_in(_, [], _) := set()

config_findings_in(idx, cfg, ctx) := _findings(idx, ps, ctx) if {
	count(cfg) > 0
	idx.hasOperator # engine data without an operator checks nothing
	keys := _keys(idx.fold, cfg)
	plain := _plain(idx, cfg, keys, ctx.clusterSize)
	ps := _not_plain(idx, cfg, keys, plain)
}

# METADATA
# title: Plain config
# description: >-
#   True when every parameter of config cfg is plain for engine index idx and cluster
#   size size (see _plain): config_findings_in then finds nothing, so a gate checks this
#   first and skips the rest of the config context.
config_plain(idx, cfg, size) if {
	count(_plain(idx, cfg, _keys(idx.fold, cfg), size)) == count(cfg)
}

_findings(_, [], _) := set()

_findings(idx, ps, ctx) := union({
	_fixed_findings(ps, idx.operator[0]),
	_insecure_findings(ps),
	_unknown_findings(ps, ctx),
	_duplicate_findings(ps),
	_invalid_findings(ps, idx.syntax),
	_range_findings(ps, idx.syntax),
	_order_findings(ps, pairs, ctx),
	_cluster_size_findings(ps, ctx),
	_standalone_findings(ps, ctx),
}) if {
	count(ps) > 0
	keys := {p.key | some p in ps}
	pairs := [pair | some pair in idx.pairs; _touched(keys, pair.lo, pair.hi)]
}

# _touched holds when the config sets either side of a pair: untouched pairs keep their
# defaults, which the data gets right.
_touched(keys, lo, _) if lo in keys

_touched(keys, _, hi) if hi in keys

# METADATA
# title: Engine indexes
# description: >-
#   engine_index of each engine of data.dbaas.engines, by name. It reads only data, so
#   the operator computes it once when it loads the policies (custom.precompute): a
#   decision looks parameters up instead of parsing the data's bounds again.
# custom:
#   precompute: true
engine_indexes[name] := engine_index(e) if some name, e in data.dbaas.engines

# METADATA
# title: Engine index
# description: >-
#   Engine data e prepared for the gates: how names fold, the value syntax, the
#   parameters of each type with their bounds as numbers (lanes), the ordered pairs with
#   their defaults, the cluster bounds with their numbers, and what the gates read of
#   the data at each decision (default cluster size, unsupported features, denied
#   operations).
engine_index(e) := {
	"engine": e,
	"operator": [x | x := e.operator],
	"hasOperator": [x | x := e.operator] != [],
	"fold": _fold_mode(folding),
	"folding": folding,
	"syntax": syntax,
	"known": is_object(object.get(e, "parameters", null)),
	"lanes": _lanes(e, syntax),
	"atMostClusterSize": {k | some k, spec in object.get(e, "parameters", {}); spec.atMostClusterSize == true},
	"pairs": pairs,
	"defaults": object.union(
		{pair.lo: d.number | some pair in pairs; some d in pair.loDefault},
		{pair.hi: d.number | some pair in pairs; some d in pair.hiDefault},
	),
	"cluster": [limits_index(limits) | limits := e.cluster],
	"defaultClusterSize": object.get(e, ["cluster", "defaultClusterSize"], 1),
	"unsupportedFeatures": object.get(e, "unsupportedFeatures", {}),
	"deniedOperations": object.get(e, ["operations", "denied"], {}),
} if {
	folding := name_folding(e)
	syntax := value_syntax(e)
	pairs := [_pair(syntax, e.parameters, lo, rel) | some lo, rel in object.get(e, "lessThan", {})]
}

# _pair is a lessThan rule with the defaults of both sides (value and number, when the
# data has them); undefined when either side is not a parameter, as the rule is then void.
_pair(syntax, parameters, lo, rel) := {
	"lo": lo,
	"hi": rel.param,
	"rel": rel,
	"loDefault": _default(syntax, parameters[lo]),
	"hiDefault": _default(syntax, parameters[rel.param]),
}

_default(syntax, spec) := [{"value": spec.default, "number": n} |
	n := param_number(syntax, spec, spec.default)
]

# _fold_mode names how fold transforms names, so a decision folds every name in one
# comprehension rather than with a call per name.
_fold_mode({"lower": false, "dashes": false}) := "none"

_fold_mode({"lower": true, "dashes": false}) := "lower"

_fold_mode({"lower": false, "dashes": true}) := "dashes"

_fold_mode({"lower": true, "dashes": true}) := "lower,dashes"

_fold_mode(folding) := "invalid" if not folding in _fold_modes

_fold_modes := {
	{"lower": false, "dashes": false}, {"lower": true, "dashes": false},
	{"lower": false, "dashes": true}, {"lower": true, "dashes": true},
}

# METADATA
# title: Config keys
# description: >-
#   The key of each parameter of config cfg, by its position, as fold makes it for the
#   engine of index idx (see engine_index); a name that does not fold has none.
config_keys(idx, cfg) := _keys(idx.fold, cfg)

# _keys is the key of each parameter, by its position in cfg, as fold makes it.
_keys("none", cfg) := {i: p.name | some i, p in cfg}

_keys("lower", cfg) := {i: lower(p.name) | some i, p in cfg}

_keys("dashes", cfg) := {i: replace(p.name, "-", "_") | some i, p in cfg}

_keys("lower,dashes", cfg) := {i: replace(lower(p.name), "-", "_") | some i, p in cfg}

_keys("invalid", _) := {}

# METADATA
# title: Lanes
# description: >-
#   The parameters whose values a decision can check without the rules (see _plain), by
#   kind: numbers (int, real), numbers with units (size, duration) with their unit
#   factors, enumerations (bool, enum) with the lower-case values accepted, and strings.
#   Numbers carry their bounds as numbers. A parameter is in no lane when it is fixed,
#   lacks a bound, or has standalone-only values that are not an enumeration: the rules
#   always look at it.
_lanes(e, syntax) := {
	"number": {k: object.union(b, {"syntax": _number_syntax[spec.type]}) |
		some k, spec in _screened(e)
		b := _bounds(syntax, spec)
	},
	"unit": {k: object.union(b, {"units": u}) |
		some k, spec in _screened(e)
		u := _unit_factors(spec.type, syntax, spec)
		b := _bounds(syntax, spec)
	},
	"enum": {k: {"accepted": _accepted(spec.type, syntax, spec) - {lower(x) | some x in object.get(spec, "standaloneOnly", [])}} |
		some k, spec in _screened(e)
		spec.type in {"bool", "enum"}
	},
	"string": {k: {"maxLength": object.get(spec, "maxLength", 4096), "pattern": object.get(spec, "pattern", "")} |
		some k, spec in _screened(e)
		spec.type == "string"
		not spec.standaloneOnly
	},
}

# _screened are the parameters that are not also fixed or insecure.
_screened(e) := {k: spec |
	some k, spec in object.get(e, "parameters", {})
	is_object(spec)
	object.get(object.get(e, "fixed", {}), k, null) == null
	object.get(object.get(e, "insecure", {}), k, null) == null
}

# _bounds are a number parameter's min and max as numbers; undefined when one is
# missing or standalone-only values constrain it.
_bounds(syntax, spec) := {"min": lo, "max": hi} if {
	not spec.standaloneOnly
	lo := param_number(syntax, spec, spec.min)
	hi := param_number(syntax, spec, spec.max)
}

# _unit_factors are the factors of the units a value may carry; "" is the unit of a bare
# number (see size_bytes and duration_us).
_unit_factors("size", syntax, spec) := object.union(syntax.units, {"": f}) if {
	f := unit_bytes(object.get(spec, "unit", ""), syntax.units)
} else := object.remove(syntax.units, [""])

_unit_factors("duration", _, spec) := object.union(duration_units, {"": f}) if {
	f := duration_units[object.get(spec, "unit", "ms")]
} else := duration_units

# _number_syntax is the syntax of int and real values (see _valid_as).
_number_syntax := {"int": `^-?[0-9]+$`, "real": `^-?([0-9]+\.?[0-9]*|\.[0-9]+)$`}

_accepted("bool", syntax, _) := syntax.bools

_accepted("enum", _, spec) := {lower(x) | some x in spec.values}

# METADATA
# title: Plain parameters
# description: >-
#   The keys of the parameters that have no finding: known, not fixed, with a valid value
#   within range, not above clusterSize when bound by it, not breaking an ordered pair.
#   Each lane checks only its own parameters, one comprehension per kind, because a rule
#   call per parameter would cost more than the checks. When two parameters fold to the
#   same key, or a name does not fold, no parameter is plain: the rules see them all.
_plain(idx, cfg, keys, size) := plain if {
	ks := {k | some k in keys}
	count(ks) == count(cfg)
	by_key := {keys[i]: p | some i, p in cfg}
	lanes := idx.lanes
	numbers := object.union(
		{k: n |
			some k, b in object.filter(lanes.number, ks)
			v := by_key[k].value
			regex.match(b.syntax, v)
			n := to_number(v)
			n >= b.min
			n <= b.max
		},
		{k: n |
			some k, b in object.filter(lanes.unit, ks)
			v := by_key[k].value
			is_string(v) # size_bytes and duration_us also read numbers: the rules do

			# the syntax of size_bytes and duration_us
			[_, num, unit] := regex.find_all_string_submatch_n(`^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`, v, 1)[0]
			n := to_number(num) * b.units[unit]
			n >= b.min
			n <= b.max
		},
	)
	enums := {k |
		some k, b in object.filter(lanes.enum, ks)
		lower(by_key[k].value) in b.accepted
	}
	strings := {k |
		some k, b in object.filter(lanes.string, ks)
		v := by_key[k].value
		count(v) <= b.maxLength
		regex.match(b.pattern, v)
	}
	bound := idx.atMostClusterSize & ks
	above := bound - {k | some k in bound; numbers[k] <= size}
	checked := ((object.keys(numbers) | enums) | strings) - above

	# A pair can break unless both its sides are known and ordered: a configured side by
	# its checked number, a side left out by its default.
	known := object.union(object.remove(idx.defaults, ks), object.filter(numbers, checked))
	unordered := {k |
		some pair in idx.pairs
		not _pair_holds(pair, ks, known)
		some k in [pair.lo, pair.hi]
	}
	plain := checked - unordered
} else := set()

# _pair_holds when a pair cannot break: both sides are known and the lower one is below,
# or a side is neither configured nor defaulted, which voids the rule. (A helper, so that
# an unknown side makes it false: OPA evaluates the arguments of a call under not before
# the not.)
_pair_holds(pair, _, known) if known[pair.lo] < known[pair.hi]

_pair_holds(pair, ks, _) if _void(pair.lo, pair.loDefault, ks)

_pair_holds(pair, ks, _) if _void(pair.hi, pair.hiDefault, ks)

_void(key, [], ks) if not key in ks

# _not_plain are the parameters that are not plain, as param makes them.
_not_plain(idx, cfg, keys, plain) := [] if {
	count(plain) == count(cfg)
} else := [x |
	some i, p in cfg
	not plain[keys[i]]
	x := param(idx, p, keys[i])
]

# METADATA
# title: Parameter
# description: >-
#   A config parameter with what the rules ask of it: its key in the data, its spec
#   (null when unknown), its fixed hint (null unless the child operator manages it),
#   why it is insecure (null unless it would let clients past authentication or
#   authorization), whether its value is valid and the number it stands for (null
#   when it has none).
param(idx, p, k) := {
	"name": p.name,
	"value": p.value,
	"key": k,
	"spec": spec,
	"fixed": _pick(hint, prefix_hints),
	"insecure": object.get(object.get(e, "insecure", {}), k, null),
	"valid": valid,
	"number": _number_if(valid, idx.syntax, spec, p.value),
} if {
	idx.known
	e := idx.engine
	spec := object.get(e.parameters, k, null)
	hint := object.get(object.get(e, "fixed", {}), k, null)
	prefix_hints := [h | spec == null; hint == null; some prefix, h in object.get(e, "fixedPrefixes", {}); startswith(k, prefix)]
	valid := _valid(idx.syntax, spec, p.value)
}

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

# _insecure_findings refuse what would let clients past authentication or
# authorization, whatever the value and even with unsafe config: the platform's
# security model is not a parameter.
_insecure_findings(ps) := {_finding([p.name], "ParameterInsecure", sprintf("%s cannot be set: %s", [p.name, p.insecure])) |
	some p in ps
	p.insecure != null
}

_unknown_findings(ps, ctx) := {f |
	ctx.unsafe != true
	some p in ps
	p.spec == null
	p.fixed == null
	p.insecure == null
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

_order_findings(ps, pairs, ctx) := {f |
	some pair in pairs
	not _exempt(pair.rel, ctx)
	lo := _effective(ps, pair.lo, pair.loDefault)
	hi := _effective(ps, pair.hi, pair.hiDefault)
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

# _effective is the parameter as configured, else its default from the data (see _pair).
_effective(ps, key, defaults) := {"name": m[0].name, "value": m[0].value, "number": m[0].number, "explicit": true} if {
	m := [p | some p in ps; p.key == key]
	count(m) > 0
} else := {"name": key, "value": d.value, "number": d.number, "explicit": false} if {
	[d] := defaults
}

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
