package testscripts

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRefusedRequestsAreReported: a request RBAC refused the operator is reported by
// its rule, unless a scenario grants its group itself; a Forbidden answer that is
// not RBAC's (a namespace being deleted) is not, and the client still reads every
// answer's body.
func TestRefusedRequestsAreReported(t *testing.T) {
	answers := map[string]string{
		"/apis/dbaas.io/v1alpha1/namespaces/a/opsrequests/op": `{"kind":"Status","message":"opsrequests.dbaas.io \"op\" is forbidden: User \"` +
			operatorUser + `\" cannot get resource \"opsrequests\" in API group \"dbaas.io\" in the namespace \"a\"","reason":"Forbidden","code":403}`,
		"/apis/example.dbaas.io/v1/widgets": `{"kind":"Status","message":"widgets.example.dbaas.io is forbidden: User \"` +
			operatorUser + `\" cannot list resource \"widgets\" in API group \"example.dbaas.io\" at the cluster scope","reason":"Forbidden","code":403}`,
		"/api/v1/namespaces/b/secrets": `{"kind":"Status","message":"secrets \"s\" is forbidden: unable to create new content in namespace b because it is being terminated","reason":"Forbidden","code":403}`,
	}
	var use apiUse
	rt := use.wrap(roundTripper(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusForbidden, Body: io.NopCloser(strings.NewReader(answers[req.URL.Path]))}, nil
	}))
	for path, method := range map[string]string{
		"/apis/dbaas.io/v1alpha1/namespaces/a/opsrequests/op": http.MethodGet,
		"/apis/example.dbaas.io/v1/widgets":                   http.MethodGet,
		"/api/v1/namespaces/b/secrets":                        http.MethodPost,
	} {
		req, _ := http.NewRequest(method, "https://api"+path, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != answers[path] {
			t.Errorf("%s: the client read %q", path, body)
		}
	}
	err := checkNeverRefused(&use)
	if err == nil || !strings.Contains(err.Error(), "dbaas.io/opsrequests get") {
		t.Fatalf("checkNeverRefused = %v; want the refused get of opsrequests", err)
	}
	for _, kept := range []string{"widgets", "secrets"} {
		if strings.Contains(err.Error(), kept) {
			t.Errorf("checkNeverRefused reports %s: %v", kept, err)
		}
	}
}
