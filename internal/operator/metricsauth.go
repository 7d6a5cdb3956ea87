package operator

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/apimachinery/pkg/util/wait"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The metrics endpoint's filter asks the API server who a scraper is (TokenReview)
// and whether it may get the path (SubjectAccessReview), as controller-runtime's
// filters.WithAuthenticationAndAuthorization does. That filter is built on
// k8s.io/apiserver, which brings its CEL authorizer and half of an API server into
// the binary: 16 MB of a 101 MB binary, whose pages the kernel maps into the
// operator's resident memory. These two reviews are all the endpoint needs.

// Decisions are cached as the API server's delegating authenticator and authorizer
// cache them, so a scrape every few seconds costs no review.
const (
	authnCacheTTL     = time.Minute
	authnFailCacheTTL = 10 * time.Second
	authzAllowTTL     = 5 * time.Minute
	authzDenyTTL      = 30 * time.Second
	reviewTimeout     = 10 * time.Second
	// reviewCacheEntries bounds each cache (the least recently used go first):
	// scrapers are few, but anyone who can reach the port can send tokens.
	reviewCacheEntries = 1024
)

// reviewBackoff retries a review the API server failed to answer, as the API
// server's own webhook authenticator does.
var reviewBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}

// metricsAuthFilter is a metricsserver.Filter provider: scrapes need a bearer token
// the API server authenticates and authorizes to get the requested path.
func metricsAuthFilter(config *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	authz, err := authorizationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	r := &reviewer{
		tokens:    authn.TokenReviews(),
		access:    authz.SubjectAccessReviews(),
		users:     cache.NewLRUExpireCache(reviewCacheEntries),
		decisions: cache.NewLRUExpireCache(reviewCacheEntries),
	}
	return func(log logr.Logger, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r.serve(log, next, w, req)
		}), nil
	}, nil
}

type reviewer struct {
	tokens authenticationclient.TokenReviewInterface
	access authorizationclient.SubjectAccessReviewInterface
	// users holds the UserInfo of a token's digest (empty: not authenticated),
	// decisions whether a user may get a path; both expire and are bounded.
	users     *cache.LRUExpireCache
	decisions *cache.LRUExpireCache
}

func (r *reviewer) serve(log logr.Logger, next http.Handler, w http.ResponseWriter, req *http.Request) {
	token, ok := bearerToken(req)
	if !ok {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	user, ok, err := r.authenticate(req.Context(), token)
	if err != nil {
		log.Error(err, "Authentication failed")
		http.Error(w, "Authentication failed", http.StatusInternalServerError)
		return
	}
	if !ok {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	verb := strings.ToLower(req.Method)
	allowed, err := r.authorize(req.Context(), user, verb, req.URL.Path)
	if err != nil {
		log.Error(err, "Authorization failed", "user", user.Username)
		http.Error(w, fmt.Sprintf("Authorization for user %s failed", user.Username), http.StatusInternalServerError)
		return
	}
	if !allowed {
		log.V(4).Info("Authorization denied", "user", user.Username, "verb", verb, "path", req.URL.Path)
		http.Error(w, fmt.Sprintf("Authorization denied for user %s", user.Username), http.StatusForbidden)
		return
	}
	next.ServeHTTP(w, req)
}

// bearerToken is the token of an "Authorization: Bearer" header.
func bearerToken(req *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", false
	}
	return token, true
}

// authenticate reports who holds token. A token the API server does not accept
// is not an error: the scrape is unauthorized.
func (r *reviewer) authenticate(ctx context.Context, token string) (authenticationv1.UserInfo, bool, error) {
	key := fmt.Sprintf("%x", sha256.Sum256([]byte(token)))
	if cached, ok := r.users.Get(key); ok {
		user := cached.(authenticationv1.UserInfo)
		return user, user.Username != "", nil
	}
	var status authenticationv1.TokenReviewStatus
	err := retryReview(ctx, func(ctx context.Context) error {
		review, err := r.tokens.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		if err == nil {
			status = review.Status
		}
		return err
	})
	if err != nil {
		return authenticationv1.UserInfo{}, false, err
	}
	if !status.Authenticated || status.User.Username == "" {
		// Cached as an empty user, briefly: a token may become valid.
		r.users.Add(key, authenticationv1.UserInfo{}, authnFailCacheTTL)
		return authenticationv1.UserInfo{}, false, nil
	}
	r.users.Add(key, status.User, authnCacheTTL)
	return status.User, true, nil
}

// authorize reports whether user may verb the non-resource path.
func (r *reviewer) authorize(ctx context.Context, user authenticationv1.UserInfo, verb, path string) (bool, error) {
	key := decisionKey(user, verb, path)
	if allowed, ok := r.decisions.Get(key); ok {
		return allowed.(bool), nil
	}
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:                  user.Username,
		UID:                   user.UID,
		Groups:                user.Groups,
		Extra:                 extra,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
	}}
	var allowed bool
	err := retryReview(ctx, func(ctx context.Context) error {
		answer, err := r.access.Create(ctx, review, metav1.CreateOptions{})
		if err == nil {
			allowed = answer.Status.Allowed && !answer.Status.Denied
		}
		return err
	})
	if err != nil {
		return false, err
	}
	ttl := authzDenyTTL
	if allowed {
		ttl = authzAllowTTL
	}
	r.decisions.Add(key, allowed, ttl)
	return allowed, nil
}

// decisionKey names everything a SubjectAccessReview decides on.
func decisionKey(user authenticationv1.UserInfo, verb, path string) string {
	groups := append([]string(nil), user.Groups...)
	sort.Strings(groups)
	extra := make([]string, 0, len(user.Extra))
	for k, v := range user.Extra {
		extra = append(extra, k+"="+strings.Join(v, ","))
	}
	sort.Strings(extra)
	return strings.Join([]string{user.Username, user.UID, strings.Join(groups, ","), strings.Join(extra, ";"), verb, path}, "\x00")
}

// retryReview retries a review that failed, each try within reviewTimeout.
func retryReview(ctx context.Context, review func(context.Context) error) error {
	var last error
	err := wait.ExponentialBackoffWithContext(ctx, reviewBackoff, func(ctx context.Context) (bool, error) {
		tryCtx, cancel := context.WithTimeout(ctx, reviewTimeout)
		defer cancel()
		last = review(tryCtx)
		return last == nil, nil
	})
	if last != nil {
		return last
	}
	return err
}
