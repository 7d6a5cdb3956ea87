package operator

import (
	"net/http"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
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

func TestTTLCacheExpiresAndStaysBounded(t *testing.T) {
	c := newTTLCache[bool]()
	now := time.Unix(1000, 0)
	c.put("a", true, now, time.Minute)
	if v, ok := c.get("a", now.Add(59*time.Second)); !ok || !v {
		t.Fatal("a fresh entry was not found")
	}
	if _, ok := c.get("a", now.Add(time.Minute)); ok {
		t.Fatal("an expired entry was found")
	}
	for i := range 3 * reviewCacheEntries {
		c.put(string(rune(i))+"k", true, now, time.Hour)
		if len(c.entries) > reviewCacheEntries {
			t.Fatalf("the cache holds %d entries, more than %d", len(c.entries), reviewCacheEntries)
		}
	}
	// Entries that expired make room before anything fresh is dropped.
	c = newTTLCache[bool]()
	for i := range reviewCacheEntries - 1 {
		c.put(string(rune(i))+"old", true, now, time.Second)
	}
	c.put("fresh", true, now, time.Hour)
	c.put("new", true, now.Add(time.Minute), time.Hour)
	if _, ok := c.get("fresh", now.Add(time.Minute)); !ok || len(c.entries) != 2 {
		t.Errorf("a full cache dropped a fresh entry or kept expired ones: %d entries", len(c.entries))
	}
}
