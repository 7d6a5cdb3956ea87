// Package faults makes the API server fail the way a real one does under load, for
// tests: it wraps a rest.Config so that every client built from it (typed and
// unstructured clients, the API reader, the event recorder, informers, whose watch
// streams fail only when asked) meets, at a set rate, conflicts, throttling, server
// errors and timeouts instead of the API server's answer. Each answer is a
// Kubernetes Status, so client-go and the apimachinery errors helpers see exactly
// what a real failure looks like.
//
// It also records the mutating requests the API server accepted, per step tag
// (WithStep), so a test can check that a step that must run once reached the API
// server once.
package faults

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"

	"k8s.io/client-go/rest"
)

// Injector decides which requests fail and how, and counts what it did. Its rate,
// verbs and kinds can change while clients use it. The zero rate injects nothing.
type Injector struct {
	mu sync.Mutex
	// rand draws which request fails and how: seeded, so a run can be repeated (as
	// far as the order of concurrent requests repeats).
	rand  *rand.Rand
	rate  float64
	verbs Verbs
	kinds []Kind

	// seen counts the requests by verb; injected counts the faults by kind and verb.
	seen     map[Verb]int
	injected map[Kind]map[Verb]int

	// byStep holds the accepted mutating requests by step tag.
	byStep         map[string][]Mutation
	recordUntagged bool
}

// New returns an injector with rate 0, verbs All and every kind, drawing from seed.
func New(seed uint64) *Injector {
	in := &Injector{rand: rand.New(rand.NewPCG(seed, seed)), verbs: All, kinds: slices.Clone(Kinds)}
	in.reset()
	return in
}

// Wrap returns a copy of cfg whose clients send their requests through the injector.
func (in *Injector) Wrap(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return &transport{in: in, next: next}
	})
	return c
}

// Set makes a share rate (0 to 1) of the requests with the given verbs fail.
func (in *Injector) Set(rate float64, verbs Verbs) error {
	if rate < 0 || rate > 1 {
		return fmt.Errorf("the fault rate must be between 0 and 1, got %g", rate)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rate, in.verbs = rate, verbs
	return nil
}

// SetKinds restricts the faults to the given kinds, drawn with equal chances among
// those that fit the request's verb. No kinds means all of them.
func (in *Injector) SetKinds(kinds ...Kind) {
	if len(kinds) == 0 {
		kinds = Kinds
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.kinds = slices.Clone(kinds)
}

// Off stops injecting faults; the counts and records stay.
func (in *Injector) Off() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rate = 0
}

// Reset clears the counts and the recorded mutations.
func (in *Injector) Reset() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.reset()
}

func (in *Injector) reset() {
	in.seen = map[Verb]int{}
	in.injected = map[Kind]map[Verb]int{}
	in.byStep = map[string][]Mutation{}
}

// draw counts the request and decides whether it fails and how; retryAfter is for a
// 429.
func (in *Injector) draw(r request) (kind Kind, retryAfter int, fail bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.seen[r.verb]++
	if in.rate == 0 || !in.verbs.Has(r.verb) || in.rand.Float64() >= in.rate {
		return "", 0, false
	}
	fitting := make([]Kind, 0, len(in.kinds))
	for _, k := range in.kinds {
		if k.fits(r.verb) {
			fitting = append(fitting, k)
		}
	}
	if len(fitting) == 0 {
		return "", 0, false
	}
	kind = fitting[in.rand.IntN(len(fitting))]
	if in.injected[kind] == nil {
		in.injected[kind] = map[Verb]int{}
	}
	in.injected[kind][r.verb]++
	return kind, in.rand.IntN(2), true
}

// transport answers in the API server's place when the injector draws a fault.
type transport struct {
	in   *Injector
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := describe(req)
	if kind, retryAfter, fail := t.in.draw(r); fail {
		// A RoundTripper closes the request body, whatever it answers.
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return kind.answer(req, r, retryAfter)
	}
	if !r.verb.Mutating() || !t.in.recording(req.Context()) {
		return t.next.RoundTrip(req)
	}
	body, req, err := readBody(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		t.in.record(req, r, body, resp.StatusCode)
	}
	return resp, err
}
