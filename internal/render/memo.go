package render

import (
	"crypto/sha256"

	"k8s.io/utils/lru"
)

// memo remembers the most recently used results by the digest of their input, so a
// steady-state reconcile whose cluster did not change costs a hash, not a render.
// Results are shared: callers must not modify what they get back.
type memo = lru.Cache

func newMemo(limit int) *memo { return lru.New(limit) }

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
