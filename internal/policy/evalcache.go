package policy

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// evalCache is the virtual cache of one evaluation (topdown.VirtualCache): the values of
// the rules and function calls evaluated so far, so that a rule many rules read runs
// once. OPA's own cache is a tree of hash maps with a node per term of a ref; this one
// is one hash map per frame, which allocates a fraction of that, and allocation, through
// the garbage collector, is much of an evaluation's cost. It also answers the
// precomputed documents (see precompute), except inside a with modifier (a pushed frame),
// where the input or the data may differ.
type evalCache struct {
	pre    *precomputed // nil when nothing is precomputed
	frames []cacheFrame // the last is active; a frame is nil until its first Put
}

type cacheFrame map[int][]cacheEntry // by hash of the ref

type cacheEntry struct {
	ref       ast.Ref
	value     *ast.Term
	undefined bool
}

func newEvalCache(pre *precomputed) *evalCache {
	return &evalCache{pre: pre, frames: make([]cacheFrame, 1, 2)}
}

// Push starts an empty frame, as evaluating under a with modifier does.
func (c *evalCache) Push() { c.frames = append(c.frames, nil) }

// Pop drops the active frame and what it held.
func (c *evalCache) Pop() {
	if len(c.frames) > 1 {
		c.frames = c.frames[:len(c.frames)-1]
	}
}

// Get returns the value of ref, or true when ref is known to be undefined; nil and false
// when ref has not been evaluated.
func (c *evalCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if len(c.frames) == 1 && c.pre != nil {
		if v, ok := c.pre.get(ref); ok {
			return v, v == nil
		}
	}
	frame := c.frames[len(c.frames)-1]
	if frame == nil {
		return nil, false
	}
	for _, e := range frame[ref.Hash()] {
		if e.ref.Equal(ref) {
			if e.undefined {
				return nil, true
			}
			return e.value, false
		}
	}
	return nil, false
}

// Put records the value of ref; a nil value records that ref is undefined.
func (c *evalCache) Put(ref ast.Ref, value *ast.Term) {
	frame := &c.frames[len(c.frames)-1]
	if *frame == nil {
		*frame = make(cacheFrame, 16)
	}
	h := ref.Hash()
	entries := (*frame)[h]
	for i := range entries {
		if entries[i].ref.Equal(ref) {
			if value != nil {
				entries[i].value = value
			} else {
				entries[i].undefined = true
			}
			return
		}
	}
	// The caller may reuse ref's slice (function calls do): keep a copy.
	(*frame)[h] = append(entries, cacheEntry{ref: slices.Clone(ref), value: value, undefined: value == nil})
}

// Keys returns the refs of the active frame.
func (c *evalCache) Keys() []ast.Ref {
	var keys []ast.Ref
	for _, entries := range c.frames[len(c.frames)-1] {
		for _, e := range entries {
			keys = append(keys, e.ref)
		}
	}
	return keys
}
