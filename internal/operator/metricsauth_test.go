package operator

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/util/cache"
)

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc":   "abc",
		"bearer  abc ": "abc",
		"Basic abc":    "",
		"Bearer":       "",
		"Bearer ":      "",
		"":             "",
	} {
		req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Authorization", header)
		got, ok := bearerToken(req)
		if got != want || ok != (want != "") {
			t.Errorf("Authorization %q: got %q %v, want %q", header, got, ok, want)
		}
	}
}

func TestDecisionKeyNamesEverythingReviewed(t *testing.T) {
	base := authenticationv1.UserInfo{Username: "u", UID: "1", Groups: []string{"b", "a"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}
	same := authenticationv1.UserInfo{Username: "u", UID: "1", Groups: []string{"a", "b"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}
	if decisionKey(base, "get", "/metrics") != decisionKey(same, "get", "/metrics") {
		t.Error("the order of groups changed the key")
	}
	otherGroups := same
	otherGroups.Groups = []string{"a"}
	otherExtra := same
	otherExtra.Extra = map[string]authenticationv1.ExtraValue{"k": {"w"}}
	for name, key := range map[string]string{
		"user":   decisionKey(authenticationv1.UserInfo{Username: "v", UID: "1", Groups: []string{"a", "b"}}, "get", "/metrics"),
		"groups": decisionKey(otherGroups, "get", "/metrics"),
		"extra":  decisionKey(otherExtra, "get", "/metrics"),
		"verb":   decisionKey(base, "post", "/metrics"),
		"path":   decisionKey(base, "get", "/debug"),
	} {
		if key == decisionKey(base, "get", "/metrics") {
			t.Errorf("another %s gave the same key", name)
		}
	}
}

func TestReviewCachesStayBounded(t *testing.T) {
	r := &reviewer{users: cache.NewLRUExpireCache(reviewCacheEntries), decisions: cache.NewLRUExpireCache(reviewCacheEntries)}
	for i := range 3 * reviewCacheEntries {
		r.users.Add(fmt.Sprint(i), authenticationv1.UserInfo{}, time.Hour)
		if n := len(r.users.Keys()); n > reviewCacheEntries {
			t.Fatalf("the cache holds %d entries, more than %d", n, reviewCacheEntries)
		}
	}
}
