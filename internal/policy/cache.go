package policy

import (
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// DefaultCacheSize is how many decisions per gate a Set remembers.
const DefaultCacheSize = 512

// decisionCache remembers decisions by input. A gate is a pure function of its input and
// the Set's data, and the controller re-evaluates unchanged clusters at every reconcile,
// so most evaluations are repeats. A Set whose policies call a non-deterministic
// built-in (time.now_ns, rand.intn...) gets no cache.
type decisionCache struct {
	mu      sync.Mutex
	max     int
	size    int
	entries map[int][]cached // by input hash
}

type cached struct {
	input    ast.Value
	decision Decision
}

func newDecisionCache(max int) *decisionCache {
	if max <= 0 {
		return nil
	}
	return &decisionCache{max: max, entries: map[int][]cached{}}
}

// get returns a copy of the decision for an input equal to input.
func (c *decisionCache) get(input ast.Value) (Decision, bool) {
	if c == nil {
		return Decision{}, false
	}
	h := input.Hash()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[h] {
		if e.input.Compare(input) == 0 {
			return Decision{Violations: slices.Clone(e.decision.Violations)}, true
		}
	}
	return Decision{}, false
}

// put remembers a decision; a full cache starts over, which bounds memory simply.
func (c *decisionCache) put(input ast.Value, d Decision) {
	if c == nil {
		return
	}
	h := input.Hash()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size >= c.max {
		clear(c.entries)
		c.size = 0
	}
	c.entries[h] = append(c.entries[h], cached{input: input, decision: Decision{Violations: slices.Clone(d.Violations)}})
	c.size++
}
