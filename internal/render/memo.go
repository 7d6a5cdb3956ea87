package render

import (
	"crypto/sha256"
	"sync"
)

// memo remembers the most recent results by the digest of their input, so a
// steady-state reconcile whose cluster did not change costs a hash, not a render.
// Results are shared: callers must not modify what they get back.
type memo struct {
	mu    sync.Mutex
	limit int
	items map[[32]byte]any
	order [][32]byte
}

func newMemo(limit int) *memo {
	return &memo{limit: limit, items: make(map[[32]byte]any, limit)}
}

func memoKey(kind string, input []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(input)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

func (m *memo) get(k [32]byte) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[k]
	return v, ok
}

// put stores v, evicting the oldest entry once the memo is full.
func (m *memo) put(k [32]byte, v any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[k]; ok {
		return
	}
	if len(m.order) >= m.limit {
		delete(m.items, m.order[0])
		m.order = m.order[1:]
	}
	m.items[k] = v
	m.order = append(m.order, k)
}

// replace stores v under k, replacing what k held: an evaluation completed with more
// of its parts.
func (m *memo) replace(k [32]byte, v any) {
	m.mu.Lock()
	if _, ok := m.items[k]; ok {
		m.items[k] = v
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.put(k, v)
}
