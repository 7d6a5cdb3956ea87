package main

import (
	"net/http"
	"sync"

	"k8s.io/client-go/rest"
)

// requestCounter counts the requests of the clients whose config it wrapped, by
// kind of request: a process's reads and writes, measured at its side of the wire.
type requestCounter struct {
	mu     sync.Mutex
	counts requestCounts
}

// requestCounts are requests by method; a watch is counted when it opens.
type requestCounts struct {
	Gets    int64 `json:"gets"`
	Watches int64 `json:"watches"`
	Posts   int64 `json:"posts"`
	Puts    int64 `json:"puts"`
	Patches int64 `json:"patches"`
	Deletes int64 `json:"deletes"`
}

func (c requestCounts) writes() int64 { return c.Posts + c.Puts + c.Patches + c.Deletes }

func (c requestCounts) sub(o requestCounts) requestCounts {
	return requestCounts{
		Gets: c.Gets - o.Gets, Watches: c.Watches - o.Watches, Posts: c.Posts - o.Posts,
		Puts: c.Puts - o.Puts, Patches: c.Patches - o.Patches, Deletes: c.Deletes - o.Deletes,
	}
}

// wrap returns a copy of cfg whose requests this counter counts.
func (r *requestCounter) wrap(cfg *rest.Config) *rest.Config {
	counted := rest.CopyConfig(cfg)
	counted.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			r.count(req)
			return next.RoundTrip(req)
		})
	})
	return counted
}

func (r *requestCounter) count(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch req.Method {
	case http.MethodGet:
		if w := req.URL.Query().Get("watch"); w == "true" || w == "1" {
			r.counts.Watches++
		} else {
			r.counts.Gets++
		}
	case http.MethodPost:
		r.counts.Posts++
	case http.MethodPut:
		r.counts.Puts++
	case http.MethodPatch:
		r.counts.Patches++
	case http.MethodDelete:
		r.counts.Deletes++
	}
}

func (r *requestCounter) snapshot() requestCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
