package render

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// memo remembers the most recently used results by the digest of their input, so a
// steady-state reconcile whose cluster did not change costs a hash, not a render.
// It holds at most budget bytes of results, as estimated by sizeOf: results vary
// from a few bytes to many kilobytes, so a count of entries would bound nothing.
// Results are shared: callers must not modify what they get back.
type memo struct {
	mu     sync.Mutex
	budget int64
	// size is the estimated bytes of the entries held.
	size int64
	// order holds the entries, the most recently used first.
	order   *list.List
	entries map[[32]byte]*list.Element
}

// memoEntry is one remembered result.
type memoEntry struct {
	key   [32]byte
	value any
	size  int64
}

func newMemo(budget int64) *memo {
	return &memo{budget: budget, order: list.New(), entries: map[[32]byte]*list.Element{}}
}

// Get returns the result remembered for key and marks it as recently used.
func (m *memo) Get(key [32]byte) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, false
	}
	m.order.MoveToFront(el)
	return el.Value.(*memoEntry).value, true
}

// Peek returns the result remembered for key without marking it as used: the other
// view of an engine reads this memo without changing what it forgets first.
func (m *memo) Peek(key [32]byte) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, false
	}
	return el.Value.(*memoEntry).value, true
}

// Add remembers value for key, replacing what was there, and forgets the least
// recently used results until the memo fits its budget. A result larger than the
// whole budget is not remembered.
func (m *memo) Add(key [32]byte, value any) {
	size := memoOverhead + sizeOf(value)
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	if size > m.budget {
		return
	}
	m.entries[key] = m.order.PushFront(&memoEntry{key: key, value: value, size: size})
	m.size += size
	for m.size > m.budget {
		m.remove(m.order.Back())
	}
}

// setBudget changes the budget, forgetting the least recently used results that no
// longer fit.
func (m *memo) setBudget(budget int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.budget = budget
	for m.size > m.budget && m.order.Len() > 0 {
		m.remove(m.order.Back())
	}
}

// remove forgets one entry; callers hold mu.
func (m *memo) remove(el *list.Element) {
	e := m.order.Remove(el).(*memoEntry)
	delete(m.entries, e.key)
	m.size -= e.size
}

// Len returns how many results the memo holds.
func (m *memo) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// memoKey digests kind and the parts, each part after a NUL byte (JSON has none).
func memoKey(kind string, parts ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write(p)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
