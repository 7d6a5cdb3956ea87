package policy

import (
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// estimates predict, from its operands, the most a built-in call produces where that
// can be far more than its output's top level or than its operands: a separator
// repeated between a million strings, a width of a million characters, one token
// decoded into a tree, a number squared. The budget is charged the estimate before
// the call runs, so a call that would exhaust it never starts. The others are charged
// after the call, for what they returned (see metered).
var estimates = map[string]func([]*ast.Term) int64{
	"concat":            estimateConcat,
	"sprintf":           estimateSprintf,
	"replace":           estimateReplace,
	"strings.replace_n": estimateReplaceN,
	"regex.replace":     estimateRegexReplace,
	"split":             estimatePieces,
	"strings.split_n":   estimatePieces,
	"indexof_n":         estimatePieces,
	"regex.split":       func(ops []*ast.Term) int64 { return matches(ops[1], nil) },
	"regex.find_n":      func(ops []*ast.Term) int64 { return matches(ops[1], ops[2]) },
	"regex.find_all_string_submatch_n": func(ops []*ast.Term) int64 {
		groups := int64(strings.Count(stringOf(ops[0]), "(") + 1)
		return groups * matches(ops[1], ops[2])
	},
	"array.concat": func(ops []*ast.Term) int64 { return termBytes * (length(ops[0]) + length(ops[1])) },
	"hex.encode":   func(ops []*ast.Term) int64 { return 2 * textLen(ops[0]) },
	"base64.encode": func(ops []*ast.Term) int64 {
		return 2 * textLen(ops[0])
	},
	"base64url.encode":        func(ops []*ast.Term) int64 { return 2 * textLen(ops[0]) },
	"base64url.encode_no_pad": func(ops []*ast.Term) int64 { return 2 * textLen(ops[0]) },
	"urlquery.encode":         func(ops []*ast.Term) int64 { return 3 * textLen(ops[0]) },
	"urlquery.encode_object":  func(ops []*ast.Term) int64 { return 3 * textSize(ops[0].Value) },
	"json.marshal":            func(ops []*ast.Term) int64 { return marshalled(ops[0].Value, 0, 2) },
	"yaml.marshal":            func(ops []*ast.Term) int64 { return marshalled(ops[0].Value, 0, 2) },
	"json.marshal_with_options": func(ops []*ast.Term) int64 {
		opts, _ := ops[1].Value.(ast.Object)
		prefix, indent := int64(2), int64(2)
		if opts != nil {
			prefix += textLen(opts.Get(ast.StringTerm("prefix")))
			indent += textLen(opts.Get(ast.StringTerm("indent")))
		}
		return marshalled(ops[0].Value, prefix, indent)
	},
	"json.unmarshal":           decoded,
	"yaml.unmarshal":           decoded,
	"rego.parse_module":        decoded,
	"graphql.parse":            decoded,
	"graphql.parse_query":      decoded,
	"graphql.parse_schema":     decoded,
	"graphql.parse_and_verify": decoded,
	"json.patch": func(ops []*ast.Term) int64 {
		return deepSize(ops[0].Value) + deepSize(ops[1].Value)
	},
	"json.filter":    func(ops []*ast.Term) int64 { return deepSize(ops[0].Value) },
	"json.remove":    func(ops []*ast.Term) int64 { return deepSize(ops[0].Value) },
	"object.union":   func(ops []*ast.Term) int64 { return overlap(ops[0].Value, ops[1].Value) },
	"object.union_n": func(ops []*ast.Term) int64 { return deepSize(ops[0].Value) },
	"net.cidr_contains_matches": func(ops []*ast.Term) int64 {
		return termBytes * max(length(ops[0]), 1) * max(length(ops[1]), 1)
	},
	"glob.quote_meta":   func(ops []*ast.Term) int64 { return 2 * textLen(ops[0]) },
	"strings.reverse":   func(ops []*ast.Term) int64 { return textLen(ops[0]) },
	"units.parse":       func(ops []*ast.Term) int64 { return numberBytes(bitsOfText(stringOf(ops[0])) + 64) },
	"units.parse_bytes": func(ops []*ast.Term) int64 { return numberBytes(bitsOfText(stringOf(ops[0])) + 64) },

	// Arithmetic is exact on integers of any size, so x*x doubles x's digits; the
	// result's magnitude is capped (numberBytes) before the call, since converting a
	// number of millions of digits to text takes seconds that no deadline interrupts.
	"plus":        func(ops []*ast.Term) int64 { return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1])) + 1) },
	"minus":       numericOrSet,
	"mul":         func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0]) + bitsOf(ops[1])) },
	"div":         func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0]) + fractionBits(ops[1])) },
	"rem":         func(ops []*ast.Term) int64 { return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1]))) },
	"abs":         func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"round":       func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"ceil":        func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"floor":       func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"bits.or":     func(ops []*ast.Term) int64 { return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1]))) },
	"bits.and":    func(ops []*ast.Term) int64 { return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1]))) },
	"bits.xor":    func(ops []*ast.Term) int64 { return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1]))) },
	"bits.negate": func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0]) + 1) },
	"bits.rsh":    func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"bits.lsh":    func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0]) + valueOf(ops[1])) },
	"format_int":  func(ops []*ast.Term) int64 { return numberBytes(bitsOf(ops[0])) },
	"sum":         func(ops []*ast.Term) int64 { return numberBytes(sumBits(ops[0], false)) },
	"product":     func(ops []*ast.Term) int64 { return numberBytes(sumBits(ops[0], true)) },
}

// maxNumberBits bounds the numbers arithmetic may make: 2^65536, about 20,000
// digits, far beyond any quantity a policy compares.
const maxNumberBits = 1 << 16

// overBudget is an estimate no budget holds.
const overBudget = math.MaxInt64

// numberBytes is the estimate of a number of the given bits: its decimal text, or
// overBudget beyond maxNumberBits.
func numberBytes(bits int64) int64 {
	if bits > maxNumberBits || bits < 0 {
		return overBudget
	}
	return scalarHeader + bits*30103/100000 + 1
}

// bitsOf is the bits of a number operand's integer part; 0 for other operands.
func bitsOf(t *ast.Term) int64 {
	n, ok := t.Value.(ast.Number)
	if !ok {
		return 0
	}
	return bitsOfText(string(n))
}

// bitsOfText is the bits of the integer part of the number a text starts with
// (units.parse's "10Gi" included), overBudget when it does not parse as one.
func bitsOfText(s string) int64 {
	end := 0
	for end < len(s) && strings.IndexByte("0123456789+-.eE", s[end]) >= 0 {
		end++
	}
	s = s[:end]
	if len(s) < 18 && !strings.ContainsAny(s, ".eE") {
		return 60
	}
	if !strings.ContainsAny(s, ".eE") {
		return int64(len(s))*3322/1000 + 1
	}
	var f big.Float
	if _, ok := f.SetString(s); !ok || f.IsInf() {
		if s == "" || s == "+" || s == "-" {
			return 0
		}
		return overBudget
	}
	return max(int64(f.MantExp(nil)), 0)
}

// fractionBits is how many bits dividing by t can add: its negative exponent.
func fractionBits(t *ast.Term) int64 {
	n, ok := t.Value.(ast.Number)
	if !ok {
		return 0
	}
	var f big.Float
	if _, ok := f.SetString(string(n)); !ok || f.IsInf() {
		return overBudget
	}
	if f.Sign() == 0 {
		return 0
	}
	return max(-int64(f.MantExp(nil)), 0) + 1
}

// valueOf is a number operand's value, clamped to maxNumberBits+1.
func valueOf(t *ast.Term) int64 {
	n, ok := t.Value.(ast.Number)
	if !ok {
		return 0
	}
	if i, ok := n.Int64(); ok {
		return min(max(i, 0), maxNumberBits+1)
	}
	return maxNumberBits + 1
}

// numericOrSet estimates minus: a difference of numbers, or of sets (no larger than
// the first).
func numericOrSet(ops []*ast.Term) int64 {
	if _, ok := ops[0].Value.(ast.Number); ok {
		return numberBytes(max(bitsOf(ops[0]), bitsOf(ops[1])) + 1)
	}
	return 0
}

// sumBits is the bits of the sum (or, with product, of the product) of a collection's
// numbers.
func sumBits(t *ast.Term, product bool) int64 {
	var total, widest int64
	each(t.Value, func(e *ast.Term) {
		b := bitsOf(e)
		if b == overBudget {
			total = overBudget
		}
		if total != overBudget {
			total += b
		}
		widest = max(widest, b)
	})
	if product {
		return total
	}
	return widest + 64
}

// each calls f for each element of an array or set.
func each(v ast.Value, f func(*ast.Term)) {
	switch v := v.(type) {
	case *ast.Array:
		v.Foreach(f)
	case ast.Set:
		v.Foreach(f)
	}
}

func estimateConcat(ops []*ast.Term) int64 {
	sep := textLen(ops[0])
	var n, total int64
	each(ops[1].Value, func(e *ast.Term) {
		n++
		total += textLen(e)
	})
	return scalarHeader + total + sep*max(n-1, 0)
}

// estimateSprintf bounds fmt's output: the format, each width and precision (fmt
// refuses those above a million, so a * costs a million), and every operand's text
// once per verb, since %[1]s can repeat one.
func estimateSprintf(ops []*ast.Term) int64 {
	format := stringOf(ops[0])
	verbs := int64(strings.Count(format, "%"))
	numbers := int64(strings.Count(format, "*")) * 1_000_000
	for i := 0; i < len(format); {
		if format[i] < '0' || format[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(format) && format[j] >= '0' && format[j] <= '9' {
			j++
		}
		n := int64(1_000_000)
		if j-i < 7 {
			n = int64(0)
			for _, c := range format[i:j] {
				n = n*10 + int64(c-'0')
			}
		}
		numbers += min(n, 1_000_000)
		i = j
	}
	return scalarHeader + int64(len(format)) + numbers + verbs*textSize(ops[1].Value)
}

func estimateReplace(ops []*ast.Term) int64 {
	s, old := stringOf(ops[0]), stringOf(ops[1])
	return scalarHeader + int64(len(s)) + occurrences(s, old)*textLen(ops[2])
}

func estimateReplaceN(ops []*ast.Term) int64 {
	s := stringOf(ops[1])
	total := scalarHeader + int64(len(s))
	if patterns, ok := ops[0].Value.(ast.Object); ok {
		patterns.Foreach(func(k, v *ast.Term) {
			total += occurrences(s, stringOf(k)) * textLen(v)
		})
	}
	return total
}

// estimateRegexReplace bounds regex.replace(s, pattern, value): each match (at most
// one per byte, and one more) becomes value, and each $ in value expands to at most
// the matches' text, which is at most s.
func estimateRegexReplace(ops []*ast.Term) int64 {
	s, value := textLen(ops[0]), stringOf(ops[2])
	return scalarHeader + s + (s+1)*int64(len(value)) + int64(strings.Count(value, "$"))*s
}

// estimatePieces estimates split, strings.split_n and indexof_n: a term per piece.
func estimatePieces(ops []*ast.Term) int64 {
	pieces := occurrences(stringOf(ops[0]), stringOf(ops[1])) + 1
	if len(ops) > 2 {
		if n, ok := ops[2].Value.(ast.Number); ok {
			if i, ok := n.Int64(); ok && i >= 0 {
				pieces = min(pieces, i)
			}
		}
	}
	return termBytes * pieces
}

// matches bounds the matches of a pattern in a string operand, at most n when n is
// not negative: one per byte, and one more.
func matches(s, n *ast.Term) int64 {
	m := textLen(s) + 1
	if n != nil {
		if num, ok := n.Value.(ast.Number); ok {
			if i, ok := num.Int64(); ok && i >= 0 {
				m = min(m, i)
			}
		}
	}
	return termBytes * m
}

// occurrences counts old in s as strings.Replace and strings.Split do: an empty old
// matches at each rune and at the end.
func occurrences(s, old string) int64 {
	if old == "" {
		return int64(utf8.RuneCountInString(s)) + 1
	}
	return int64(strings.Count(s, old))
}

// decoded estimates a parser's tree from its string operands: a term per byte.
func decoded(ops []*ast.Term) int64 {
	var n int64
	for _, op := range ops {
		n += textLen(op)
	}
	return termBytes * (n + 1)
}

// marshalled bounds the text of a value: each byte escaped to six (\u0000), and each
// node on a line of its own behind prefix and one indent per level.
func marshalled(v ast.Value, prefix, indent int64) int64 {
	var nodes, deepest int64
	var walk func(v ast.Value, depth int64)
	walk = func(v ast.Value, depth int64) {
		nodes++
		deepest = max(deepest, depth)
		switch v := v.(type) {
		case *ast.Array:
			v.Foreach(func(e *ast.Term) { walk(e.Value, depth+1) })
		case ast.Set:
			v.Foreach(func(e *ast.Term) { walk(e.Value, depth+1) })
		case ast.Object:
			v.Foreach(func(k, e *ast.Term) { walk(e.Value, depth+1) })
		}
	}
	walk(v, 0)
	return scalarHeader + 6*textSize(v) + nodes*(prefix+deepest*indent)
}

// overlap estimates object.union(a, b): a new object where both hold an object under
// the same key, merged level by level, besides the top level charged after the call.
func overlap(a, b ast.Value) int64 {
	x, ok1 := a.(ast.Object)
	y, ok2 := b.(ast.Object)
	if !ok1 || !ok2 {
		return 0
	}
	var n int64
	y.Foreach(func(k, v *ast.Term) {
		if w := x.Get(k); w != nil {
			if _, ok := w.Value.(ast.Object); ok {
				if sub, ok := v.Value.(ast.Object); ok {
					n += keyBytes*int64(1+sub.Len()) + overlap(w.Value, v.Value)
				}
			}
		}
	})
	return n
}

// deepSize estimates a value with everything it holds.
func deepSize(v ast.Value) int64 {
	n := shallowSize(v)
	switch v := v.(type) {
	case *ast.Array:
		v.Foreach(func(e *ast.Term) { n += deepSize(e.Value) })
	case ast.Set:
		v.Foreach(func(e *ast.Term) { n += deepSize(e.Value) })
	case ast.Object:
		v.Foreach(func(k, e *ast.Term) { n += deepSize(k.Value) + deepSize(e.Value) })
	}
	return n
}

// textSize estimates a value written as text: strings quoted, two separators per
// element.
func textSize(v ast.Value) int64 {
	switch v := v.(type) {
	case ast.String:
		return int64(len(v)) + 2
	case ast.Number:
		return int64(len(v))
	case *ast.Array:
		n := int64(2)
		v.Foreach(func(e *ast.Term) { n += 2 + textSize(e.Value) })
		return n
	case ast.Set:
		n := int64(2)
		v.Foreach(func(e *ast.Term) { n += 2 + textSize(e.Value) })
		return n
	case ast.Object:
		n := int64(2)
		v.Foreach(func(k, e *ast.Term) { n += 4 + textSize(k.Value) + textSize(e.Value) })
		return n
	}
	return 8
}

// textLen is the length of a string operand, else of the operand as text.
func textLen(t *ast.Term) int64 {
	if t == nil {
		return 0
	}
	if s, ok := t.Value.(ast.String); ok {
		return int64(len(s))
	}
	return textSize(t.Value)
}

func stringOf(t *ast.Term) string {
	s, _ := t.Value.(ast.String)
	return string(s)
}

// length is the number of elements of a collection operand.
func length(t *ast.Term) int64 {
	switch v := t.Value.(type) {
	case *ast.Array:
		return int64(v.Len())
	case ast.Set:
		return int64(v.Len())
	case ast.Object:
		return int64(v.Len())
	}
	return 0
}
