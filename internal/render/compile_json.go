package render

import (
	"fmt"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/parser"
)

// CompileJSON compiles a JSON document, named name in errors, into ctx without
// registering it there. A cue.Context keeps every file that CompileBytes compiles
// (its syntax, its build instance and its evaluated value) until the context is
// dropped, about 30 KiB per engine input; a value built from an expression is kept
// only as long as it is used, so a long-lived context evaluates new inputs without
// growing.
func CompileJSON(ctx *cue.Context, name string, data []byte) (cue.Value, error) {
	expr, err := parser.ParseExpr(name, data)
	if err != nil {
		return cue.Value{}, fmt.Errorf("cannot parse the %s: %s", name, describe(err))
	}
	v := ctx.BuildExpr(expr)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("cannot compile the %s: %s", name, describe(err))
	}
	return v, nil
}
