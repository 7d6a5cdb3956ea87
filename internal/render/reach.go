package render

import (
	"slices"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// unreachedFields returns the package's top-level fields that nothing reachable from
// roots refers to: roots, every top-level declaration that does not declare named
// fields (embeddings, lets, dynamic or aliased labels), and what they name,
// transitively. A comprehension that only declares named fields counts as part of
// them. A package without those fields evaluates to the same roots, for less: CUE
// evaluates every field of a package it fills.
//
// References are read from the syntax: every identifier that is not a label or a
// selector's field name. That over-approximates (a local field named like a
// top-level one keeps it), which costs only speed; a field left out that something
// did need makes the package fail to compile, and callers then use the whole one.
// ok is false when a file does not parse.
func unreachedFields(files []packageFile, roots ...string) (unreached []string, ok bool) {
	refs := map[string][]string{}
	reached := map[string]bool{}
	var queue []string
	reach := func(names ...string) {
		for _, n := range names {
			if !reached[n] {
				reached[n] = true
				queue = append(queue, n)
			}
		}
	}
	reach(roots...)
	for _, f := range files {
		syntax, err := parser.ParseFile(f.name, f.src)
		if err != nil {
			return nil, false
		}
		for _, d := range syntax.Decls {
			switch d.(type) {
			case *ast.Package, *ast.ImportDecl, *ast.Attribute:
				continue
			}
			names, ok := declaredNames(d)
			if !ok {
				// Always evaluated, or named in a way this reading does not follow.
				reach(referencedNames(d)...)
				continue
			}
			uses := referencedNames(d)
			for _, name := range names {
				refs[name] = append(refs[name], uses...)
			}
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		reach(refs[name]...)
	}
	for name := range refs {
		if !reached[name] {
			unreached = append(unreached, name)
		}
	}
	slices.Sort(unreached)
	return unreached, true
}

// declaredNames are the top-level fields a declaration declares: a field with a
// plain label, or a comprehension whose body holds only such fields. ok is false for
// any other declaration.
func declaredNames(d ast.Decl) (names []string, ok bool) {
	switch d := d.(type) {
	case *ast.Field:
		name, plain := plainLabel(d.Label)
		return []string{name}, plain
	case *ast.Comprehension:
		body, isStruct := d.Value.(*ast.StructLit)
		if !isStruct {
			return nil, false
		}
		for _, e := range body.Elts {
			field, isField := e.(*ast.Field)
			if !isField {
				return nil, false
			}
			name, plain := plainLabel(field.Label)
			if !plain {
				return nil, false
			}
			names = append(names, name)
		}
		return names, len(names) > 0
	}
	return nil, false
}

// plainLabel is the name of a field labelled by an identifier or a string, with no
// alias: the only kind unreachedFields may leave out.
func plainLabel(l ast.Label) (string, bool) {
	switch l.(type) {
	case *ast.Ident, *ast.BasicLit:
		name, _, err := ast.LabelName(l)
		return name, err == nil
	}
	return "", false
}

// referencedNames lists the identifiers n uses as references: not the labels of its
// fields, nor the names after a selector's dot, nor the names a let or a for
// clause declares, nor those the parser resolved to a declaration inside a struct
// (a field, a let, a comprehension's variable), which may share a top-level field's
// name without referring to it.
func referencedNames(n ast.Node) []string {
	var names []string
	var visit func(ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if !resolvedInside(n) {
				names = append(names, n.Name)
			}
		case *ast.Field:
			if _, plain := plainLabel(n.Label); !plain {
				ast.Walk(n.Label, visit, nil)
			}
			ast.Walk(n.Value, visit, nil)
			return false
		case *ast.SelectorExpr:
			ast.Walk(n.X, visit, nil)
			return false
		case *ast.LetClause:
			// The name it declares is not a reference; its expression may be.
			ast.Walk(n.Expr, visit, nil)
			return false
		case *ast.ForClause:
			ast.Walk(n.Source, visit, nil)
			return false
		}
		return true
	}
	ast.Walk(n, visit, nil)
	return names
}

// resolvedInside reports whether the parser resolved id to a declaration nested in
// a struct or a clause of the file: one the file itself declares at its top level,
// or in another file of the package (unresolved), is a top-level field.
func resolvedInside(id *ast.Ident) bool {
	if id.Node == nil || id.Scope == nil {
		return false
	}
	_, topLevel := id.Scope.(*ast.File)
	return !topLevel
}
