package dbaas.lib_test

import data.dbaas.lib

# _engine is a small engine, independent of the shipped data.
_engine := {
	"operator": "TestOperator",
	"caseInsensitiveNames": true,
	"dashesAreUnderscores": true,
	"parameters": {
		"conns": {"type": "int", "min": 10, "max": 100},
		"ratio": {"type": "real", "min": 0, "max": 1},
		"flag": {"type": "bool"},
		"mode": {"type": "enum", "values": ["fast", "safe", "minimal"], "standaloneOnly": ["minimal"]},
		"buffers": {"type": "size", "unit": "8kB", "min": "128kB", "max": "1GB"},
		"low": {"type": "size", "unit": "MB", "min": "32MB", "max": "1TB", "default": "80MB"},
		"high": {"type": "size", "unit": "MB", "min": "32MB", "max": "1TB", "default": "1GB"},
		"timeout": {"type": "duration", "unit": "ms", "min": "0ms", "max": "1h", "disabled": "-1"},
		"prefix": {"type": "string", "maxLength": 8},
		"zone": {"type": "string", "pattern": "^[A-Z]+$"},
		"factor": {"type": "int", "min": 1, "max": 9, "atMostClusterSize": true},
		"isr": {"type": "int", "min": 1, "max": 9},
		"odd": {"type": "complex"},
	},
	"lessThan": {"low": {"param": "high"}, "isr": {"param": "factor", "exceptStandalone": true}},
	"fixed": {"port": "use the endpoints", "data_dir": ""},
	"fixedPrefixes": {"ssl_": "TLS uses the operator's certificates"},
	"insecure": {"open_door": "it lets clients in without credentials"},
}

_ctx := {"engine": "test", "clusterSize": 3, "backup": false, "unsafe": false, "unsafeRefusal": ""}

_findings(cfg) := lib.config_findings(_engine, cfg, _ctx)

_one(name, value) := _findings([{"name": name, "value": value}])

_f(names, reason, msg) := {"names": names, "reason": reason, "msg": msg}

test_valid_parameters_pass if {
	count(_findings([
		{"name": "conns", "value": "50"},
		{"name": "ratio", "value": "0.5"},
		{"name": "flag", "value": "ON"},
		{"name": "mode", "value": "Safe"},
		{"name": "buffers", "value": "16384"},
		{"name": "low", "value": "100MB"},
		{"name": "timeout", "value": "-1"},
		{"name": "prefix", "value": "%m [%p]"},
		{"name": "zone", "value": "UTC"},
		{"name": "factor", "value": "3"},
		{"name": "isr", "value": "2"},
	])) == 0
}

test_names_fold_case_and_dashes if {
	count(_one("CONNS", "50")) == 0
	lib.fold(lib.name_folding(_engine), "Max-Conns") == "max_conns"
	lib.fold(lib.name_folding({}), "Max-Conns") == "Max-Conns"
}

test_fixed_parameters_say_what_to_use if {
	_one("port", "5432") == {_f(["port"], "ParameterFixed", "port cannot be set: TestOperator manages it; use the endpoints")}
	_one("data_dir", "/x") == {_f(["data_dir"], "ParameterFixed", "data_dir cannot be set: TestOperator manages it")}
	_one("ssl_ciphers", "x") == {_f(["ssl_ciphers"], "ParameterFixed", "ssl_ciphers cannot be set: TestOperator manages it; TLS uses the operator's certificates")}
}

test_unknown_parameters_are_refused if {
	_one("foo", "1") == {_f(["foo"], "ParameterUnknown", "foo is not a known test parameter")}
}

test_unknown_parameters_pass_when_unsafe if {
	count(lib.config_findings(_engine, [{"name": "foo", "value": "1"}], object.union(_ctx, {"unsafe": true}))) == 0
}

test_unsafe_does_not_lift_fixed_parameters if {
	lib.config_findings(_engine, [{"name": "port", "value": "1"}], object.union(_ctx, {"unsafe": true})) == {_f(["port"], "ParameterFixed", "port cannot be set: TestOperator manages it; use the endpoints")}
}

test_insecure_parameters_are_refused_even_when_unsafe if {
	want := {_f(["open_door"], "ParameterInsecure", "open_door cannot be set: it lets clients in without credentials")}
	_one("open_door", "true") == want
	lib.config_findings(_engine, [{"name": "Open-Door", "value": "false"}], object.union(_ctx, {"unsafe": true})) == {_f(
		["Open-Door"], "ParameterInsecure",
		"Open-Door cannot be set: it lets clients in without credentials",
	)}
	count(lib.config_findings(_engine, [{"name": "foo", "value": "1"}], object.union(_ctx, {"unsafe": true}))) == 0
	want == _one("open_door", "false")
}

test_duplicates_are_refused if {
	_findings([{"name": "conns", "value": "50"}, {"name": "Conns", "value": "60"}]) == {_f(["Conns", "conns"], "ParameterDuplicate", "Conns repeats conns")}
}

test_values_must_have_the_type if {
	_one("conns", "many") == {_f(["conns"], "ParameterInvalid", `conns must be an integer, got "many"`)}
	_one("ratio", "half") == {_f(["ratio"], "ParameterInvalid", `ratio must be a number, got "half"`)}
	_one("flag", "maybe") == {_f(["flag"], "ParameterInvalid", `flag must be a boolean (false, off, on, true), got "maybe"`)}
	_one("mode", "slow") == {_f(["mode"], "ParameterInvalid", `mode must be one of fast, safe, minimal, got "slow"`)}
	_one("buffers", "lots") == {_f(["buffers"], "ParameterInvalid", `buffers must be a size such as 128MB, got "lots"`)}
	_one("timeout", "soon") == {_f(["timeout"], "ParameterInvalid", `timeout must be a duration such as 30s (units us, ms, s, min, h, d), got "soon"`)}
	_one("prefix", "123456789") == {_f(["prefix"], "ParameterInvalid", `prefix must be text of at most 8 characters, got "123456789"`)}
	_one("zone", "utc") == {_f(["zone"], "ParameterInvalid", `zone must be text of at most 4096 characters matching ^[A-Z]+$, got "utc"`)}
	_one("odd", "x") == {_f(["odd"], "ParameterInvalid", `odd must be a value of type complex, which this policy does not know, got "x"`)}
}

test_values_must_be_in_range if {
	_one("conns", "5") == {_f(["conns"], "ParameterOutOfRange", "conns must be between 10 and 100, got 5")}
	_one("conns", "101") == {_f(["conns"], "ParameterOutOfRange", "conns must be between 10 and 100, got 101")}
	_one("buffers", "2GB") == {_f(["buffers"], "ParameterOutOfRange", "buffers must be between 128kB and 1GB, got 2GB")}
	_one("buffers", "8") == {_f(["buffers"], "ParameterOutOfRange", "buffers must be between 128kB and 1GB, got 8")}
	_one("timeout", "2h") == {_f(["timeout"], "ParameterOutOfRange", "timeout must be between 0ms and 1h (or -1 to turn it off), got 2h")}
}

test_range_bounds_are_inclusive if {
	count(_one("conns", "10")) == 0
	count(_one("conns", "100")) == 0
	count(_one("buffers", "1GB")) == 0
	count(_one("timeout", "60min")) == 0
}

test_ordered_parameters_compare_sizes if {
	_one("low", "2GB") == {_f(["low"], "ParameterConflict", "low (2GB) must be less than high (1GB, the default)")}
	_one("high", "64MB") == {_f(["high"], "ParameterConflict", "low (80MB, the default) must be less than high (64MB)")}
	_findings([{"name": "low", "value": "1024"}, {"name": "high", "value": "1GB"}]) == {_f(["low", "high"], "ParameterConflict", "low (1024) must be less than high (1GB)")}
	count(_findings([{"name": "low", "value": "512MB"}, {"name": "high", "value": "2GB"}])) == 0
}

test_ordered_parameters_without_default_need_both if {
	count(_one("isr", "5")) == 0
	_findings([{"name": "factor", "value": "2"}, {"name": "isr", "value": "2"}]) == {_f(["isr", "factor"], "ParameterConflict", "isr (2) must be less than factor (2)")}
}

test_standalone_exemption_lifts_the_order if {
	ctx := object.union(_ctx, {"clusterSize": 1})
	cfg := [{"name": "factor", "value": "1"}, {"name": "isr", "value": "1"}]
	count(lib.config_findings(_engine, cfg, ctx)) == 0
}

test_parameters_bounded_by_cluster_size if {
	_one("factor", "4") == {_f(["factor"], "ParameterConflict", "factor (4) must not exceed clusterSize (3)")}
	count(_one("factor", "3")) == 0
}

test_standalone_values_need_one_instance_and_no_backup if {
	_one("mode", "minimal") == {_f(["mode"], "ParameterConflict", "mode=minimal needs clusterSize 1 and backups disabled: clusterSize is 3")}
	both := object.union(_ctx, {"backup": true})
	lib.config_findings(_engine, [{"name": "mode", "value": "minimal"}], both) == {_f(["mode"], "ParameterConflict", "mode=minimal needs clusterSize 1 and backups disabled: clusterSize is 3 and backups are enabled")}
	alone := object.union(_ctx, {"clusterSize": 1})
	count(lib.config_findings(_engine, [{"name": "mode", "value": "minimal"}], alone)) == 0
}

test_config_context_reads_backup_and_unsafe if {
	tenancy := {"unsafe_config_namespaces": ["lab"]}
	ann := {"dbaas.io/unsafe-config": "true"}
	ctx := lib.config_context("pg", 3, {"backup": {"enabled": true}}, tenancy, {}, "lab", ann)
	ctx == {"engine": "pg", "clusterSize": 3, "backup": true, "unsafe": true, "unsafeRefusal": ""}
	refused := lib.config_context("pg", 1, {}, tenancy, {}, "shop", ann)
	refused == {
		"engine": "pg", "clusterSize": 1, "backup": false, "unsafe": false,
		"unsafeRefusal": "; namespace shop may not use the dbaas.io/unsafe-config annotation",
	}
}
