package operator

import (
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// limitedWebhooks is a webhook server whose handlers evaluate at most limit
// admission requests at once: each is a render and a policy decision, and a burst
// of them must leave CPU to the reconcilers. The others wait their turn, or give
// up when the API server's timeout cancels them.
type limitedWebhooks struct {
	webhook.Server
	slots chan struct{}
}

func newLimitedWebhooks(s webhook.Server, limit int) *limitedWebhooks {
	return &limitedWebhooks{Server: s, slots: make(chan struct{}, limit)}
}

// Register registers hook behind the limit.
func (l *limitedWebhooks) Register(path string, hook http.Handler) {
	l.Server.Register(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case l.slots <- struct{}{}:
		case <-r.Context().Done():
			http.Error(w, "the operator is busy: the admission request timed out waiting for its turn", http.StatusServiceUnavailable)
			return
		}
		defer func() { <-l.slots }()
		hook.ServeHTTP(w, r)
	}))
}
