package render

import (
	"slices"
	"testing"

	"cuelang.org/go/cue"
)

// reachPackage has operations that read a helper chain and the input, and stages,
// a status mapping and a guard comprehension they do not read. Labels and selectors
// named like top-level fields are not references, nor are a field, a let and a
// comprehension's variable of a struct that share a top-level field's name.
var reachPackage = []packageFile{
	{name: "engine.cue", src: []byte(`package p

input: {
	cluster: {
		size: int
		big?: true
	}
	stages: *"none" | string
}
ops: request: {...}
_name: "db"
`)},
	{name: "operations.cue", src: []byte(`package p

operations: Scale: {
	specPatch: size: _op.size + 1
	// a label and a selector named like top-level fields
	status: input.stages
	name: _name
	phase: _op.phase
}
_op: {
	size: _default.size
	// a field, a let and a comprehension's variable of its own, named like top-level
	// fields it does not refer to
	_phase: "Scaling"
	let _heads = "to"
	phase: "\(_phase) \(_heads) \(size)"
	steps: [for status in ["planned"] {status}]
}
_default: size: *input.cluster.size | 1
`)},
	{name: "stages.cue", src: []byte(`package p

stages: engine: objects: cluster: _heads.cluster
_heads: cluster: {kind: "Cluster", metadata: name: _name}
if input.cluster.big != _|_ {
	stages: engine: objects: cluster: _heads.cluster & {spec: error("too big")}
}
status: result: phase: _phase
_phase: "Ready"
`)},
}

func TestUnreachedFields(t *testing.T) {
	got, ok := unreachedFields(reachPackage, "operations", "ops", "input")
	if !ok {
		t.Fatal("the package does not parse")
	}
	if want := []string{"_heads", "_phase", "stages", "status"}; !slices.Equal(got, want) {
		t.Errorf("unreached from the operations = %v, want %v", got, want)
	}
	got, _ = unreachedFields(reachPackage, "status", "input")
	if want := []string{"_default", "_heads", "_name", "_op", "operations", "ops", "stages"}; !slices.Equal(got, want) {
		t.Errorf("unreached from the status = %v, want %v", got, want)
	}
}

// TestUnreachedFieldsKeepsWhatItCannotFollow: an embedding, a comprehension that
// embeds, and an aliased label are kept, with what they refer to.
func TestUnreachedFieldsKeepsWhatItCannotFollow(t *testing.T) {
	files := []packageFile{{name: "x.cue", src: []byte(`package p

operations: {}
_embedded: 1
_comprehended: 2
_aliased: 3
_unused: 4
{a: _embedded}
if true {_comprehended}
X=b: _aliased
`)}}
	got, ok := unreachedFields(files, "operations")
	if !ok {
		t.Fatal("the package does not parse")
	}
	if want := []string{"_unused"}; !slices.Equal(got, want) {
		t.Errorf("unreached = %v, want %v", got, want)
	}
	if _, ok := unreachedFields([]packageFile{{name: "bad.cue", src: []byte("package p\na: {")}}, "a"); ok {
		t.Error("a package that does not parse was read")
	}
}

// TestReachingEvaluatesLikeTheWholePackage: the package without the unreached fields
// (and without the guard that only adds to them) compiles, lacks them, and
// evaluates the operations as the whole package does, even for an input the guard
// refuses.
func TestReachingEvaluatesLikeTheWholePackage(t *testing.T) {
	inst := newInstance(reachPackage, "p")
	lean, err := inst.reaching("operations", "ops", "input")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := inst.wholePackage()
	if err != nil {
		t.Fatal(err)
	}
	if lean == whole {
		t.Fatal("the lean package did not compile: the whole package was used")
	}
	if got, want := topLevel(t, lean), []string{"_default", "_name", "_op", "input", "operations", "ops"}; !slices.Equal(got, want) {
		t.Errorf("the lean package has %v, want %v", got, want)
	}
	for _, input := range []string{`{input: cluster: size: 3}`, `{input: cluster: {size: 9, big: true}}`} {
		leanOp := evaluated(t, inst.ctx, lean, input)
		wholeOp := evaluated(t, inst.ctx, whole, input)
		if leanOp != wholeOp {
			t.Errorf("%s: the lean package evaluates %s, the whole one %s", input, leanOp, wholeOp)
		}
	}
}

// evaluated is operations.Scale of pkg filled with input, as JSON.
func evaluated(t *testing.T, ctx *cue.Context, pkg cue.Value, input string) string {
	t.Helper()
	v := pkg.Unify(ctx.CompileString(input))
	b, err := v.LookupPath(cue.ParsePath("operations.Scale")).MarshalJSON()
	if err != nil {
		t.Fatalf("%s: %v", input, err)
	}
	return string(b)
}

// TestReachingFallsBackToTheWholePackage: when leaving a field out breaks the
// package (a reference this reading missed), the whole package is used.
func TestReachingFallsBackToTheWholePackage(t *testing.T) {
	inst := newInstance([]packageFile{{name: "x.cue", src: []byte(`package p

operations: a: _kept
_kept: 1
_left: 2
`)}}, "p")
	whole, err := inst.wholePackage()
	if err != nil {
		t.Fatal(err)
	}
	got, err := inst.leaner(inst.files, "_kept")
	if err != nil {
		t.Fatal(err)
	}
	if got != whole {
		t.Error("a package that refers to a field left out was used")
	}
}

// topLevel lists the top-level fields of v, hidden ones included, sorted.
func topLevel(t *testing.T, v cue.Value) []string {
	t.Helper()
	it, err := v.Fields(cue.Hidden(true), cue.Optional(true))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for it.Next() {
		names = append(names, it.Selector().String())
	}
	slices.Sort(names)
	return names
}
